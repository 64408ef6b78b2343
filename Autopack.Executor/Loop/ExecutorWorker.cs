using Autopack.Executor.Startup;

namespace Autopack.Executor.Loop;

/// <summary>The hosted service: identity check, then the loop until shutdown (SIGTERM finishes or releases the current phases).</summary>
public sealed class ExecutorWorker(ApiIdentityCheck identity, ExecutorLoop loop, IHostApplicationLifetime lifetime, ILogger<ExecutorWorker> logger)
    : BackgroundService
{
    public const int IdentityMismatchExitCode = 3;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        if (!await identity.VerifyAsync(stoppingToken))
        {
            Environment.ExitCode = IdentityMismatchExitCode;
            lifetime.StopApplication();
            return;
        }
        try { await loop.RunAsync(stoppingToken); }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        logger.LogInformation("Executor stopped");
    }
}
