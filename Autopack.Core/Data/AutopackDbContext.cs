using System.Text.Json;
using Autopack.Core.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Autopack.Core.Data;

/// <summary>
/// The one database of Autopack. Provider-specific subclasses (<see cref="PostgresAutopackDbContext"/>,
/// <see cref="SqliteAutopackDbContext"/>) exist only so each provider keeps its own migrations.
/// </summary>
public abstract class AutopackDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Run> Runs => Set<Run>();
    public DbSet<Tier> Tiers => Set<Tier>();
    public DbSet<Phase> Phases => Set<Phase>();
    public DbSet<PhaseAttempt> PhaseAttempts => Set<PhaseAttempt>();
    public DbSet<ApprovalRequest> Approvals => Set<ApprovalRequest>();
    public DbSet<KillSwitch> KillSwitches => Set<KillSwitch>();
    public DbSet<LlmUsageEvent> LlmUsageEvents => Set<LlmUsageEvent>();
    public DbSet<RunEvent> RunEvents => Set<RunEvent>();
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();
    public DbSet<DeadLetter> DeadLetters => Set<DeadLetter>();
    public DbSet<WorkerLease> WorkerLeases => Set<WorkerLease>();
    public DbSet<User> Users => Set<User>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<MemoryEntry> MemoryEntries => Set<MemoryEntry>();
    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();

    public bool IsPostgres => Database.ProviderName == "Npgsql.EntityFrameworkCore.PostgreSQL";

    /// <summary>
    /// The clock the writers that receive only the context stamp their rows with (run events, outbox rows, approvals, dead
    /// letters): the host's registered <see cref="TimeProvider"/>, handed over by <see cref="IAutopackDbFactory"/>, so a test's
    /// fake clock reaches them without a clock parameter on every static writer; the system clock for contexts built by hand.
    /// </summary>
    public TimeProvider Clock { get; internal set; } = TimeProvider.System;

    internal DateTime UtcNow => Clock.GetUtcNow().UtcDateTime;

    protected override void ConfigureConventions(ModelConfigurationBuilder b)
    {
        // Every timestamp is UTC; SQLite forgets the kind, so it is restored on read.
        b.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        b.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
        b.Properties<RunState>().HaveConversion<WireEnumConverter<RunState>>().HaveMaxLength(16);
        b.Properties<PhaseState>().HaveConversion<WireEnumConverter<PhaseState>>().HaveMaxLength(16);
        b.Properties<Complexity>().HaveConversion<WireEnumConverter<Complexity>>().HaveMaxLength(16);
        b.Properties<ApprovalKind>().HaveConversion<WireEnumConverter<ApprovalKind>>().HaveMaxLength(32);
        b.Properties<ApprovalStatus>().HaveConversion<WireEnumConverter<ApprovalStatus>>().HaveMaxLength(16);
        b.Properties<OutboxStatus>().HaveConversion<WireEnumConverter<OutboxStatus>>().HaveMaxLength(16);
        b.Properties<Role>().HaveConversion<WireEnumConverter<Role>>().HaveMaxLength(16);
    }

    protected override void OnModelCreating(ModelBuilder m)
    {
        m.Entity<Run>(e =>
        {
            e.ToTable("runs");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(128);
            e.HasIndex(x => x.IdempotencyKey).IsUnique();
            e.HasIndex(x => new { x.State, x.CreatedAt });
            e.HasIndex(x => x.CreatedAt);
            e.HasMany(x => x.Tiers).WithOne().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
            e.HasMany(x => x.Phases).WithOne().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
        });
        m.Entity<Tier>(e =>
        {
            e.ToTable("tiers");
            e.HasIndex(x => new { x.RunId, x.TierId }).IsUnique();
            e.Property(x => x.TierId).HasMaxLength(128);
        });
        m.Entity<Phase>(e =>
        {
            e.ToTable("phases");
            e.HasIndex(x => new { x.RunId, x.PhaseId }).IsUnique();
            e.HasIndex(x => new { x.State, x.TierIndex, x.Index });
            e.HasIndex(x => new { x.State, x.LeaseExpiresAt });
            e.HasIndex(x => new { x.RunId, x.State }); // the claimer asks "does this run have a queued phase?" per run
            e.Property(x => x.PhaseId).HasMaxLength(128);
            e.Property(x => x.TierId).HasMaxLength(128);
            e.Property(x => x.ClaimedBy).HasMaxLength(200);
            e.Property(x => x.FailureReason).HasMaxLength(64);
            JsonList(e.Property(x => x.ScopePaths));
            JsonList(e.Property(x => x.ReadOnlyContext));
        });
        m.Entity<PhaseAttempt>(e =>
        {
            e.ToTable("phase_attempts");
            e.HasIndex(x => new { x.RunId, x.PhaseId, x.Number }).IsUnique();
        });
        m.Entity<ApprovalRequest>(e =>
        {
            e.ToTable("approval_requests");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(40);
            e.HasIndex(x => new { x.Status, x.ExpiresAt });
            e.HasIndex(x => x.RunId);
        });
        m.Entity<KillSwitch>(e =>
        {
            e.ToTable("kill_switches");
            e.HasKey(x => x.Name);
            e.Property(x => x.Name).HasMaxLength(64);
        });
        m.Entity<LlmUsageEvent>(e =>
        {
            e.ToTable("llm_usage_events");
            e.HasIndex(x => new { x.RunId, x.CreatedAt });
        });
        m.Entity<RunEvent>(e =>
        {
            e.ToTable("run_events");
            e.HasIndex(x => new { x.RunId, x.Sequence }).IsUnique();
            e.Property(x => x.Type).HasMaxLength(64);
        });
        m.Entity<OutboxMessage>(e =>
        {
            e.ToTable("outbox_messages");
            e.HasKey(x => x.Id);
            e.HasIndex(x => new { x.Status, x.NextAttemptAt, x.CreatedAt });
            e.Property(x => x.Type).HasMaxLength(64);
            e.Property(x => x.Destination).HasMaxLength(32);
        });
        m.Entity<DeadLetter>(e =>
        {
            e.ToTable("dead_letters");
            e.HasIndex(x => x.MessageId);
            e.HasIndex(x => x.DeadAt);
        });
        m.Entity<IdempotencyRecord>(e =>
        {
            e.ToTable("idempotency_keys");
            e.HasKey(x => x.Key);
            e.Property(x => x.Key).HasMaxLength(200);
            e.Property(x => x.Fingerprint).HasMaxLength(64);
            e.Property(x => x.ResourceId).HasMaxLength(128);
        });
        m.Entity<WorkerLease>(e =>
        {
            e.ToTable("worker_leases");
            e.HasKey(x => x.Name);
            e.Property(x => x.Name).HasMaxLength(64);
        });
        m.Entity<User>(e =>
        {
            e.ToTable("users");
            e.HasIndex(x => x.Username).IsUnique();
            e.Property(x => x.Username).HasMaxLength(100);
        });
        m.Entity<ApiKey>(e =>
        {
            e.ToTable("api_keys");
            e.HasIndex(x => x.Hash).IsUnique();
            e.Property(x => x.Hash).HasMaxLength(64);
            e.Property(x => x.Prefix).HasMaxLength(16);
        });
        m.Entity<MemoryEntry>(e =>
        {
            e.ToTable("memory_entries");
            e.HasKey(x => x.Id);
            e.HasIndex(x => new { x.Collection, x.CreatedAt });
        });
    }

    private static void JsonList(Microsoft.EntityFrameworkCore.Metadata.Builders.PropertyBuilder<List<string>> p) =>
        p.HasConversion(
                v => JsonSerializer.Serialize(v, (JsonSerializerOptions?)null),
                v => JsonSerializer.Deserialize<List<string>>(v, (JsonSerializerOptions?)null) ?? new List<string>())
            .Metadata.SetValueComparer(new ValueComparer<List<string>>(
                (a, b) => a!.SequenceEqual(b!),
                v => v.Aggregate(0, (h, s) => HashCode.Combine(h, s.GetHashCode())),
                v => v.ToList()));
}

/// <summary>Stores enums as their UPPER_SNAKE wire names.</summary>
public sealed class WireEnumConverter<T>() : ValueConverter<T, string>(v => EnumNames.ToWire(v), v => EnumNames.Parse<T>(v))
    where T : struct, Enum;

public sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
    v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(), v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

public sealed class PostgresAutopackDbContext(DbContextOptions<PostgresAutopackDbContext> options) : AutopackDbContext(options);

public sealed class SqliteAutopackDbContext(DbContextOptions<SqliteAutopackDbContext> options) : AutopackDbContext(options);
