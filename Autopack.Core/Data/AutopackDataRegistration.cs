using Aspire.Npgsql.EntityFrameworkCore.PostgreSQL;
using Autopack.Core.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Autopack.Core.Data;

public static class AutopackDataRegistration
{
    /// <summary>
    /// The services' registration: the contexts of <see cref="AddAutopackData(IServiceCollection, DatabaseConnection)"/>, and on
    /// PostgreSQL Aspire's Npgsql EF Core integration on top (<c>EnrichNpgsqlDbContext</c>: the retrying execution strategy,
    /// Npgsql tracing and metrics, the EF Core health check, the command timeout; settings under
    /// <c>Aspire:Npgsql:EntityFrameworkCore:PostgreSQL</c>, e.g. <c>DisableRetry</c>). The connection itself is resolved once
    /// by <see cref="DatabaseConnection"/> (<c>ConnectionStrings__autopack</c>, else <c>DATABASE_URL</c>), so the database
    /// identity does not depend on how it was given. Retries are safe because every explicit transaction goes through
    /// <see cref="TransactionExtensions.RunInTransactionAsync{T}"/>.
    /// </summary>
    /// <param name="retry">The service's retry policy (<see cref="DatabaseRetry.Background"/> unless given); Aspire's
    /// <c>DisableRetry</c> setting turns it off.</param>
    public static IHostApplicationBuilder AddAutopackData(this IHostApplicationBuilder builder, DatabaseConnection database, DatabaseRetry? retry = null)
    {
        // Our own retrying strategy, which Aspire's enrichment keeps (it only adds its default one where none is configured);
        // Aspire's own switch is honoured, bound into Aspire's settings type from the sections Aspire binds it from.
        var aspire = AspireSettings(builder.Configuration);
        builder.Services.AddAutopackData(database, aspire.DisableRetry ? DatabaseRetry.None : retry ?? DatabaseRetry.Background);
        if (database.Provider == DatabaseProvider.Postgres)
            builder.EnrichNpgsqlDbContext<PostgresAutopackDbContext>();
        return builder;
    }

    /// <summary>
    /// The settings <c>EnrichNpgsqlDbContext</c> will use, bound as Aspire binds them: its section, then the section named after the
    /// context type (<c>…:PostgreSQL:PostgresAutopackDbContext</c>), which wins.
    /// </summary>
    private static NpgsqlEntityFrameworkCorePostgreSQLSettings AspireSettings(IConfiguration configuration)
    {
        var settings = new NpgsqlEntityFrameworkCorePostgreSQLSettings();
        var section = configuration.GetSection(AspireSection);
        section.Bind(settings);
        section.GetSection(nameof(PostgresAutopackDbContext)).Bind(settings);
        return settings;
    }

    private const string AspireSection = "Aspire:Npgsql:EntityFrameworkCore:PostgreSQL";

    /// <summary>
    /// Registers <see cref="AutopackDbContext"/> (scoped) and <see cref="IAutopackDbFactory"/> for the given database, whose contexts
    /// carry the registered <see cref="TimeProvider"/> (the system clock unless the host registers another). Contexts come from a
    /// pool, as in Aspire's <c>AddNpgsqlDbContext</c>: building one per request (its services, the model lookup) was about 8% of
    /// the API's CPU on a read (docs/benchmarks.md); a disposed context goes back reset. Outside a host (the executor harness,
    /// benchmarks) PostgreSQL gets the background services' retrying strategy, so what runs there runs as in production.
    /// SQLite never retries.
    /// </summary>
    public static IServiceCollection AddAutopackData(this IServiceCollection services, DatabaseConnection database) =>
        services.AddAutopackData(database, DatabaseRetry.Background);

    private static IServiceCollection AddAutopackData(this IServiceCollection services, DatabaseConnection database, DatabaseRetry retry)
    {
        services.AddSingleton(database);
        services.TryAddSingleton(TimeProvider.System);
        if (database.Provider == DatabaseProvider.Postgres)
        {
            services.AddPooledDbContextFactory<PostgresAutopackDbContext>(o =>
            {
                Configure(o, database);
                if (retry.MaxRetryCount > 0) o.UseNpgsql(x => x.EnableRetryOnFailure(retry.MaxRetryCount, retry.MaxRetryDelay, null));
            });
            services.AddSingleton<IAutopackDbFactory>(sp => new AutopackDbFactory<PostgresAutopackDbContext>(sp.GetRequiredService<IDbContextFactory<PostgresAutopackDbContext>>(), sp.GetRequiredService<TimeProvider>()));
        }
        else
        {
            services.AddPooledDbContextFactory<SqliteAutopackDbContext>(o => Configure(o, database));
            services.AddSingleton<IAutopackDbFactory>(sp => new AutopackDbFactory<SqliteAutopackDbContext>(sp.GetRequiredService<IDbContextFactory<SqliteAutopackDbContext>>(), sp.GetRequiredService<TimeProvider>()));
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

    /// <summary>
    /// One provider's context built by hand, for tools (migrations, design time) and tests that set up data directly; it has no
    /// retrying strategy, so their raw transactions need no wrapping.
    /// </summary>
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

internal sealed class AutopackDbFactory<T>(IDbContextFactory<T> inner, TimeProvider time) : IAutopackDbFactory where T : AutopackDbContext
{
    public AutopackDbContext Create()
    {
        var db = inner.CreateDbContext();
        db.Clock = time;
        return db;
    }
}
