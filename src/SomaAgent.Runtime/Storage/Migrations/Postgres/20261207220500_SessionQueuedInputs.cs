using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SomaAgent.Runtime.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SessionQueuedInputs : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "QueuedInputs",
                table: "sessions",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            // Inputs already waiting are counted, so the turn they wait for still starts them when it ends.
            migrationBuilder.Sql("""
                UPDATE sessions SET "QueuedInputs" = (SELECT COUNT(*) FROM queued_inputs WHERE queued_inputs."SessionId" = sessions."Id")
                WHERE EXISTS (SELECT 1 FROM queued_inputs WHERE queued_inputs."SessionId" = sessions."Id");
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "QueuedInputs",
                table: "sessions");
        }
    }
}
