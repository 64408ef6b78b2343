using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Autopack.Hosting;

/// <summary>Puts the request log first in every service's pipeline, so rejected requests (401, 429, 413) are logged too.</summary>
internal sealed class RequestLogStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseMiddleware<RequestLogMiddleware>();
        next(app);
    };
}
