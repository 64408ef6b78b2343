using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Autopack.Core.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SandboxNetwork : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "sandbox_network",
                table: "runs",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "sandbox_network",
                table: "phases",
                type: "boolean",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "sandbox_network",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "sandbox_network",
                table: "phases");
        }
    }
}
