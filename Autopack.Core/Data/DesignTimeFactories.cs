using Autopack.Core.Configuration;
using Microsoft.EntityFrameworkCore.Design;

namespace Autopack.Core.Data;

// `dotnet ef migrations add X --context PostgresAutopackDbContext -o Data/Migrations/Postgres` uses these;
// no server is contacted to generate a migration.
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresAutopackDbContext>
{
    public PostgresAutopackDbContext CreateDbContext(string[] args) =>
        (PostgresAutopackDbContext)AutopackDataRegistration.CreateContext(
            DatabaseConnection.Parse("postgresql://design:design@localhost:5432/autopack", "/tmp"));
}

internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteAutopackDbContext>
{
    public SqliteAutopackDbContext CreateDbContext(string[] args) =>
        (SqliteAutopackDbContext)AutopackDataRegistration.CreateContext(
            DatabaseConnection.Parse("sqlite:///design.db", Path.GetTempPath()));
}
