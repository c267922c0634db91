using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SomaAgent.Runtime.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class TurnLeasesQueuedInputsClientOptions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ClientOptionsJson",
                table: "sessions",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "LeaseEpoch",
                table: "sessions",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<DateTime>(
                name: "LeaseExpiresAt",
                table: "sessions",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LeaseOwner",
                table: "sessions",
                type: "character varying(128)",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "TurnAttempts",
                table: "sessions",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "queued_inputs",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    SessionId = table.Column<Guid>(type: "uuid", nullable: false),
                    TenantId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    MessagesJson = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_queued_inputs", x => x.Id);
                    table.ForeignKey(
                        name: "FK_queued_inputs_sessions_SessionId",
                        column: x => x.SessionId,
                        principalTable: "sessions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_queued_inputs_SessionId_Id",
                table: "queued_inputs",
                columns: new[] { "SessionId", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "queued_inputs");

            migrationBuilder.DropColumn(
                name: "ClientOptionsJson",
                table: "sessions");

            migrationBuilder.DropColumn(
                name: "LeaseEpoch",
                table: "sessions");

            migrationBuilder.DropColumn(
                name: "LeaseExpiresAt",
                table: "sessions");

            migrationBuilder.DropColumn(
                name: "LeaseOwner",
                table: "sessions");

            migrationBuilder.DropColumn(
                name: "TurnAttempts",
                table: "sessions");
        }
    }
}
