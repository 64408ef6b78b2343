using Autopack.Core.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Autopack.Core.Data;

public static class AutopackDataRegistration
{
    /// <summary>
    /// The services' registration: <see cref="AddAutopackData(IServiceCollection, DatabaseConnection)"/>, and on PostgreSQL
    /// Aspire's Npgsql EF Core integration on top (<c>EnrichNpgsqlDbContext</c>: Npgsql tracing and metrics, the EF Core
    /// health check, the command timeout; settings under <c>Aspire:Npgsql:EntityFrameworkCore:PostgreSQL</c>). The
    /// connection itself is resolved once by <see cref="DatabaseConnection"/> (<c>ConnectionStrings__autopack</c>, else
    /// <c>DATABASE_URL</c>), so the database identity does not depend on how it was given. Aspire's retrying execution
    /// strategy stays off: every state change is one explicit transaction (state, run event, outbox row), and EF refuses
    /// user transactions under a retrying strategy; a failed transaction is retried by its caller's loop instead.
    /// </summary>
    public static IHostApplicationBuilder AddAutopackData(this IHostApplicationBuilder builder, DatabaseConnection database)
    {
        builder.Services.AddAutopackData(database);
        if (database.Provider == DatabaseProvider.Postgres)
            builder.EnrichNpgsqlDbContext<PostgresAutopackDbContext>(settings => settings.DisableRetry = true);
        return builder;
    }

    /// <summary>
    /// Registers <see cref="AutopackDbContext"/> (scoped) and <see cref="IAutopackDbFactory"/> for the given database. Contexts
    /// come from a pool, as in Aspire's <c>AddNpgsqlDbContext</c>: building one per request (its services, the model lookup)
    /// was about 8% of the API's CPU on a read (docs/benchmarks.md); a disposed context goes back reset.
    /// </summary>
    public static IServiceCollection AddAutopackData(this IServiceCollection services, DatabaseConnection database)
    {
        services.AddSingleton(database);
        if (database.Provider == DatabaseProvider.Postgres)
        {
            services.AddPooledDbContextFactory<PostgresAutopackDbContext>(o => Configure(o, database));
            services.AddSingleton<IAutopackDbFactory>(sp => new AutopackDbFactory<PostgresAutopackDbContext>(sp.GetRequiredService<IDbContextFactory<PostgresAutopackDbContext>>()));
        }
        else
        {
            services.AddPooledDbContextFactory<SqliteAutopackDbContext>(o => Configure(o, database));
            services.AddSingleton<IAutopackDbFactory>(sp => new AutopackDbFactory<SqliteAutopackDbContext>(sp.GetRequiredService<IDbContextFactory<SqliteAutopackDbContext>>()));
        }
        services.AddScoped<AutopackDbContext>(sp => sp.GetRequiredService<IAutopackDbFactory>().Create());
        return services;
    }

    public static void Configure(DbContextOptionsBuilder o, DatabaseConnection database)
    {
        if (database.Provider == DatabaseProvider.Postgres)
            o.UseNpgsql(database.ConnectionString, x => x.MigrationsHistoryTable("__ef_migrations_history"));
        else
            o.UseSqlite(database.ConnectionString, x => x.MigrationsHistoryTable("__ef_migrations_history"));
        o.UseSnakeCaseNamingConvention();
        
    }

    /// <summary>Options for one provider's context, for tools and tests that build a context by hand.</summary>
    public static AutopackDbContext CreateContext(DatabaseConnection database)
    {
        if (database.Provider == DatabaseProvider.Postgres)
        {
            var b = new DbContextOptionsBuilder<PostgresAutopackDbContext>();
            Configure(b, database);
            return new PostgresAutopackDbContext(b.Options);
        }
        var s = new DbContextOptionsBuilder<SqliteAutopackDbContext>();
        Configure(s, database);
        return new SqliteAutopackDbContext(s.Options);
    }
}

/// <summary>Creates a fresh <see cref="AutopackDbContext"/> for background loops that outlive a scope.</summary>
public interface IAutopackDbFactory
{
    AutopackDbContext Create();
}

internal sealed class AutopackDbFactory<T>(IDbContextFactory<T> inner) : IAutopackDbFactory where T : AutopackDbContext
{
    public AutopackDbContext Create() => inner.CreateDbContext();
}
