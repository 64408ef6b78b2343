using Autopack.Api.Extensions;
using Autopack.Core.Approvals;
using Autopack.Core.Data;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Services;

/// <summary>Expires pending approvals past their deadline (default decision: reject), so a waiting executor fails closed.</summary>
public sealed class ApprovalSweeper(IAutopackDbFactory dbFactory, IOptions<ApiLimitsOptions> options, TimeProvider time, ILogger<ApprovalSweeper> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.ApprovalSweepSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var db = dbFactory.Create();
                var expired = await ApprovalWorkflow.ExpireDueAsync(db, stoppingToken);
                if (expired > 0) logger.LogInformation("Expired {Count} approval(s)", expired);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Approval sweep failed: {Error}", ex.GetBaseException().Message);
            }
            try { await Task.Delay(interval, time, stoppingToken); } catch (OperationCanceledException) { return; }
        }
    }
}
