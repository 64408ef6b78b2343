using System.Text.Json;
using System.Text.Json.Serialization;

namespace Autopack.Api.Extensions;

public static class ProblemJsonExtensions
{
    /// <summary>Strict snake_case JSON, problem details with a stable code for every error, and the input guards.</summary>
    public static IServiceCollection AddProblemJson(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DictionaryKeyPolicy = null;
            // A member the contract does not know (a typo, or `depends_on` that does not exist) is an error, never silently dropped.
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        });
        // Binding failures (malformed JSON, wrong types) reach the exception handler, which gives them a code.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ApiProblem.Customize);
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddSingleton<NulCharacterFilter>();
        return services;
    }
}
