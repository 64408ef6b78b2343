using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Autopack.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class PhaseRunStateIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_phases_run_id_state",
                table: "phases",
                columns: new[] { "run_id", "state" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_phases_run_id_state",
                table: "phases");
        }
    }
}
