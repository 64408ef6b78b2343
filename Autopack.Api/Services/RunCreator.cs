using System.Text.Json;
using Autopack.Api.Apis;
using Autopack.Core.Data;
using Autopack.Core.Domain;
using Autopack.Core.Events;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Services;

/// <summary>
/// Stores a validated plan as a run with its tiers and phases, its run.created event and outbox message,
/// in one transaction; with an Idempotency-Key, the response is recorded for replays in that same transaction
/// (<see cref="IdempotencyKeys"/>). Uniqueness of the run id is left to the database so concurrent creates cannot both win.
/// </summary>
public sealed class RunCreator(IAutopackDbFactory dbFactory, IOptions<JsonOptions> json, TimeProvider time)
{
    public enum Outcome { Created, IdTaken }

    /// <summary>The created run's detail, and the exact JSON answered for it (what a replay sends again).</summary>
    public sealed record Result(Outcome Outcome, string RunId, RunDto? Run = null, string? Body = null);

    public async Task<Result> CreateAsync(CreateRunRequest request, string? idempotencyKey, CancellationToken ct)
    {
        // The id is chosen once: a rerun of the transaction creates the same run.
        var runId = request.RunId ?? "run-" + Guid.NewGuid().ToString("N")[..12];
        await using var db = dbFactory.Create();
        try
        {
            // A lost commit acknowledgement is recognised by the run.created event, so it answers Created, not IdTaken.
            return await db.RunInTransactionAsync(async () =>
            {
                var run = Build(request, runId, idempotencyKey, time.GetUtcNow().UtcDateTime);
                db.Runs.Add(run);
                await db.SaveChangesAsync(ct);
                var payload = new { run_id = run.Id, name = run.Name, phases = run.Phases.Count, tiers = run.Tiers.Count, state = EnumNames.ToWire(run.State) };
                await RunEventWriter.AppendAsync(db, run.Id, EventTypes.RunCreated, payload, ct: ct);
                OutboxWriter.Publish(db, EventTypes.RunCreated, payload, run.Id);
                await db.SaveChangesAsync(ct);
                var dto = RunDto.From(run, run.Phases.Select(p => p.State).ToList(), run.Tiers, run.Phases);
                var body = JsonSerializer.Serialize(dto, json.Value.SerializerOptions);
                if (idempotencyKey is not null) await IdempotencyKeys.CompleteAsync(db, idempotencyKey, StatusCodes.Status201Created, body, run.Id, ct);
                return new Result(Outcome.Created, run.Id, dto, body);
            }, ct);
        }
        catch (DbUpdateException ex) when (IsUniqueViolation(ex))
        {
            return new Result(Outcome.IdTaken, runId);
        }
    }

    internal static bool IsUniqueViolation(DbUpdateException ex) => ex.InnerException switch
    {
        Npgsql.PostgresException pg => pg.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation,
        Microsoft.Data.Sqlite.SqliteException sq => sq.SqliteErrorCode == 19, // SQLITE_CONSTRAINT
        _ => false,
    };

    private static Run Build(CreateRunRequest r, string runId, string? idempotencyKey, DateTime now)
    {
        // Microseconds, as PostgreSQL stores them, so the answer built here equals what a later read returns.
        now = now.AddTicks(-(now.Ticks % 10));
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
            SandboxNetwork = r.Sandbox?.Network ?? false,
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
                    TestCommand = p.TestCommand, SandboxNetwork = p.Sandbox?.Network ?? r.Sandbox?.Network ?? false,
                    MaxAttempts = p.MaxAttempts ?? RunCaps.DefaultMaxAttempts, CreatedAt = now, UpdatedAt = now,
                };
            }).ToList(),
        };
    }
}
