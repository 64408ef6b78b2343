using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Autopack.Core.Data.Migrations.Sqlite
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
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "sandbox_network",
                table: "phases",
                type: "INTEGER",
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
