using Autopack.Api.Apis;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Events;
using Microsoft.EntityFrameworkCore;

namespace Autopack.Api.Services;

/// <summary>
/// Stores a validated plan as a run with its tiers and phases, its run.created event and outbox message,
/// in one transaction. Uniqueness is left to the database (run id, Idempotency-Key) so concurrent
/// retries cannot create two runs.
/// </summary>
public sealed class RunCreator(IAutopackDbFactory dbFactory)
{
    public enum Outcome { Created, Replayed, IdTaken }

    public async Task<(Outcome Outcome, string RunId)> CreateAsync(CreateRunRequest request, string? idempotencyKey, CancellationToken ct)
    {
        if (idempotencyKey is not null && await FindByKeyAsync(idempotencyKey, ct) is { } existing) return (Outcome.Replayed, existing);

        var run = Build(request, idempotencyKey);
        await using var db = dbFactory.Create();
        try
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            db.Runs.Add(run);
            await db.SaveChangesAsync(ct);
            var payload = new { run_id = run.Id, name = run.Name, phases = run.Phases.Count, tiers = run.Tiers.Count, state = EnumNames.ToWire(run.State) };
            await RunEventWriter.AppendAsync(db, run.Id, EventTypes.RunCreated, payload, ct: ct);
            OutboxWriter.Publish(db, EventTypes.RunCreated, payload, run.Id);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return (Outcome.Created, run.Id);
        }
        catch (DbUpdateException ex) when (IsUniqueViolation(ex))
        {
            if (idempotencyKey is not null && await FindByKeyAsync(idempotencyKey, ct) is { } winner) return (Outcome.Replayed, winner);
            return (Outcome.IdTaken, run.Id);
        }
    }

    private async Task<string?> FindByKeyAsync(string key, CancellationToken ct)
    {
        await using var db = dbFactory.Create();
        return await db.Runs.AsNoTracking().Where(r => r.IdempotencyKey == key).Select(r => r.Id).FirstOrDefaultAsync(ct);
    }

    private static bool IsUniqueViolation(DbUpdateException ex) => ex.InnerException switch
    {
        Npgsql.PostgresException pg => pg.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation,
        Microsoft.Data.Sqlite.SqliteException sq => sq.SqliteErrorCode == 19, // SQLITE_CONSTRAINT
        _ => false,
    };

    private static Run Build(CreateRunRequest r, string? idempotencyKey)
    {
        var runId = r.RunId ?? "run-" + Guid.NewGuid().ToString("N")[..12];
        var now = DateTime.UtcNow;
        var tierIndex = r.Tiers!.Select((t, i) => (t.TierId!, i)).ToDictionary(x => x.Item1, x => x.i);
        var perTier = new Dictionary<string, int>();
        return new Run
        {
            Id = runId,
            Name = string.IsNullOrWhiteSpace(r.Name) ? runId : r.Name.Trim(),
            RepoPath = r.RepoPath,
            TokenCap = r.TokenCap ?? RunCaps.DefaultTokenCap,
            MaxPhases = r.MaxPhases ?? RunCaps.DefaultMaxPhases,
            MaxDurationMinutes = r.MaxDurationMinutes ?? RunCaps.DefaultMaxDurationMinutes,
            IdempotencyKey = idempotencyKey,
            CreatedAt = now,
            UpdatedAt = now,
            Tiers = r.Tiers!.Select((t, i) => new Tier { RunId = runId, TierId = t.TierId!, Index = i, Name = t.Name ?? t.TierId!, Description = t.Description ?? "" }).ToList(),
            Phases = r.Phases!.Select(p =>
            {
                var index = perTier[p.TierId!] = perTier.GetValueOrDefault(p.TierId!, -1) + 1;
                return new Phase
                {
                    RunId = runId, PhaseId = p.PhaseId!, TierId = p.TierId!, TierIndex = tierIndex[p.TierId!], Index = index,
                    Name = p.Name ?? p.PhaseId!, Description = p.Description ?? "",
                    Complexity = p.Complexity is null ? Complexity.Medium : EnumNames.Parse<Complexity>(p.Complexity),
                    ScopePaths = p.Scope?.Paths ?? [], ReadOnlyContext = p.Scope?.ReadOnlyContext ?? [],
                    TestCommand = p.TestCommand, MaxAttempts = p.MaxAttempts ?? RunCaps.DefaultMaxAttempts, CreatedAt = now, UpdatedAt = now,
                };
            }).ToList(),
        };
    }
}
