using Autopack.Api.Extensions;
using Autopack.Core.Approvals;
using Autopack.Core.Data;
using Microsoft.Extensions.Options;

namespace Autopack.Api.Services;

/// <summary>Expires pending approvals past their deadline (default decision: reject), so a waiting executor fails closed.</summary>
public sealed class ApprovalSweeper(IAutopackDbFactory dbFactory, IOptions<ApiLimitsOptions> options, TimeProvider time, ILogger<ApprovalSweeper> logger)
    : DatabaseSweep(dbFactory, time, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromSeconds(options.Value.ApprovalSweepSeconds);

    protected override async Task SweepAsync(AutopackDbContext db, CancellationToken ct)
    {
        var expired = await ApprovalWorkflow.ExpireDueAsync(db, ct);
        if (expired > 0) logger.LogInformation("Expired {Count} approval(s)", expired);
    }
}
