using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Autopack.Hosting;

/// <summary>
/// Binds a class of variables (<see cref="ConfigurationKeyNameAttribute"/> on each property) once, before the host is
/// built, and adds what is wrong with them to a list, so a service can name every problem together before it stops.
/// </summary>
public static class ConfigurationVariables
{
    public static T Bind<T>(IConfiguration configuration, IValidateOptions<T> validator, List<string> problems) where T : class, new()
    {
        T variables;
        // A value that is not a number stops the binder at once, naming the variable; the validator lists every other problem.
        try { variables = configuration.Get<T>() ?? new(); }
        catch (InvalidOperationException e)
        {
            problems.Add(e.Message);
            return new();
        }
        problems.AddRange(validator.Validate(null, variables).Failures ?? []);
        return variables;
    }
}
