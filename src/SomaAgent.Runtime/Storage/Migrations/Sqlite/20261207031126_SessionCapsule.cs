using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SomaAgent.Runtime.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SessionCapsule : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "CapsuleJson",
                table: "sessions",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "CapsuleJson",
                table: "sessions");
        }
    }
}
