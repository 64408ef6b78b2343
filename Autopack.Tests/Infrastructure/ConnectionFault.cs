using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace Autopack.Tests.Infrastructure;

/// <summary>
/// A real dropped connection at a chosen moment: when armed, the next command whose SQL matches (or the next commit) makes a
/// second connection call <c>pg_terminate_backend</c> on the backend of the command's own connection, as an operator, a
/// failover or a crashed proxy would, and lets the command run into the dead connection. One shot per arming, so the rerun
/// of the transaction goes through. <see cref="ArmCommitAckLoss"/> drops the connection right after a commit succeeded,
/// which the client sees as a failed commit that in fact happened.
/// </summary>
public sealed class ConnectionFault(string adminConnectionString) : DbCommandInterceptor, IDbTransactionInterceptor
{
    private Func<string, bool>? _matches;
    private bool _afterCommit;

    /// <summary>How many times a connection was dropped.</summary>
    public int Dropped { get; private set; }

    /// <summary>The SQL of every command seen while armed or not (for the failure message of a test that missed its statement).</summary>
    public List<string> Commands { get; } = [];

    public void ArmAtCommand(Func<string, bool> matches) => _matches = matches;

    public void ArmCommitAckLoss() => _afterCommit = true;

    private async Task DropIfArmedAsync(DbCommand command, CancellationToken ct)
    {
        lock (Commands) Commands.Add(command.CommandText);
        if (_matches is not { } matches || !matches(command.CommandText)) return;
        _matches = null;
        await TerminateAsync((NpgsqlConnection)command.Connection!, ct);
    }

    private async Task TerminateAsync(NpgsqlConnection victim, CancellationToken ct)
    {
        await using var admin = new NpgsqlConnection(adminConnectionString);
        await admin.OpenAsync(ct);
        // PostgreSQL 14+: waits until the backend is gone, so the victim's next statement surely hits a dead connection.
        await using var kill = new NpgsqlCommand("SELECT pg_terminate_backend(@pid, 5000)", admin);
        kill.Parameters.AddWithValue("pid", victim.ProcessID);
        if (await kill.ExecuteScalarAsync(ct) is not true) throw new InvalidOperationException($"backend {victim.ProcessID} was not terminated");
        Dropped++;
    }

    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        await DropIfArmedAsync(command, cancellationToken);
        return result;
    }

    public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        await DropIfArmedAsync(command, cancellationToken);
        return result;
    }

    public override async ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        await DropIfArmedAsync(command, cancellationToken);
        return result;
    }

    public async Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (!_afterCommit) return;
        _afterCommit = false;
        await TerminateAsync((NpgsqlConnection)eventData.Context!.Database.GetDbConnection(), cancellationToken);
        // What Npgsql raises when the connection dies before the commit's acknowledgement arrives.
        throw new NpgsqlException("Exception while reading from stream", new EndOfStreamException("the connection dropped before the commit was acknowledged"));
    }
}
