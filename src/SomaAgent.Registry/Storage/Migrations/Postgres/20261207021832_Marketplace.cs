using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SomaAgent.Registry.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Marketplace : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Description",
                schema: "registry",
                table: "capsules",
                type: "character varying(1024)",
                maxLength: 1024,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<long>(
                name: "Downloads",
                schema: "registry",
                table: "capsules",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<bool>(
                name: "IsPublic",
                schema: "registry",
                table: "capsules",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "LatestVersion",
                schema: "registry",
                table: "capsules",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Publisher",
                schema: "registry",
                table: "capsules",
                type: "character varying(128)",
                maxLength: 128,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "PublisherKey",
                schema: "registry",
                table: "capsules",
                type: "character varying(128)",
                maxLength: 128,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "SearchText",
                schema: "registry",
                table: "capsules",
                type: "character varying(600)",
                maxLength: 600,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Tags",
                schema: "registry",
                table: "capsules",
                type: "character varying(1024)",
                maxLength: 1024,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<DateTime>(
                name: "UpdatedAt",
                schema: "registry",
                table: "capsules",
                type: "timestamp with time zone",
                nullable: false,
                defaultValue: new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified));

            migrationBuilder.CreateTable(
                name: "blobs",
                schema: "registry",
                columns: table => new
                {
                    Digest = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Size = table.Column<long>(type: "bigint", nullable: false),
                    TouchedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Deleting = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_blobs", x => x.Digest);
                });

            migrationBuilder.CreateTable(
                name: "capsule_tags",
                schema: "registry",
                columns: table => new
                {
                    Tag = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    CapsuleName = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_capsule_tags", x => new { x.Tag, x.CapsuleName });
                });

            migrationBuilder.CreateTable(
                name: "capsule_versions",
                schema: "registry",
                columns: table => new
                {
                    CapsuleName = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Version = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    PackageDigest = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    PackageSize = table.Column<long>(type: "bigint", nullable: false),
                    Signature = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    KeyId = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: false),
                    BundleJson = table.Column<string>(type: "text", nullable: false),
                    ManifestJson = table.Column<string>(type: "text", nullable: false),
                    Readme = table.Column<string>(type: "text", nullable: true),
                    Description = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: false),
                    Publisher = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    PublishedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Downloads = table.Column<long>(type: "bigint", nullable: false),
                    Yanked = table.Column<bool>(type: "boolean", nullable: false),
                    YankReason = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                    YankedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_capsule_versions", x => new { x.CapsuleName, x.Version });
                });

            migrationBuilder.CreateTable(
                name: "installations",
                schema: "registry",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    TenantId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CapsuleName = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Version = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_installations", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "signing_keys",
                schema: "registry",
                columns: table => new
                {
                    TenantId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    KeyId = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: false),
                    Name = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    PublicKeyPem = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: false),
                    CreatedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    RevokedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_signing_keys", x => new { x.TenantId, x.KeyId });
                });

            migrationBuilder.CreateIndex(
                name: "IX_capsules_PublisherKey",
                schema: "registry",
                table: "capsules",
                column: "PublisherKey");

            migrationBuilder.CreateIndex(
                name: "IX_capsule_tags_CapsuleName",
                schema: "registry",
                table: "capsule_tags",
                column: "CapsuleName");

            migrationBuilder.CreateIndex(
                name: "IX_capsule_versions_PackageDigest",
                schema: "registry",
                table: "capsule_versions",
                column: "PackageDigest");

            migrationBuilder.CreateIndex(
                name: "IX_installations_TenantId_CapsuleName_Version",
                schema: "registry",
                table: "installations",
                columns: new[] { "TenantId", "CapsuleName", "Version" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_installations_TenantId_CreatedAt_Id",
                schema: "registry",
                table: "installations",
                columns: new[] { "TenantId", "CreatedAt", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "blobs",
                schema: "registry");

            migrationBuilder.DropTable(
                name: "capsule_tags",
                schema: "registry");

            migrationBuilder.DropTable(
                name: "capsule_versions",
                schema: "registry");

            migrationBuilder.DropTable(
                name: "installations",
                schema: "registry");

            migrationBuilder.DropTable(
                name: "signing_keys",
                schema: "registry");

            migrationBuilder.DropIndex(
                name: "IX_capsules_PublisherKey",
                schema: "registry",
                table: "capsules");

            migrationBuilder.DropColumn(
                name: "Description",
                schema: "registry",
                table: "capsules");

            migrationBuilder.DropColumn(
                name: "Downloads",
                schema: "registry",
                table: "capsules");

            migrationBuilder.DropColumn(
                name: "IsPublic",
                schema: "registry",
                table: "capsules");

            migrationBuilder.DropColumn(
                name: "LatestVersion",
                schema: "registry",
                table: "capsules");

            migrationBuilder.DropColumn(
                name: "Publisher",
                schema: "registry",
                table: "capsules");

            migrationBuilder.DropColumn(
                name: "PublisherKey",
                schema: "registry",
                table: "capsules");

            migrationBuilder.DropColumn(
                name: "SearchText",
                schema: "registry",
                table: "capsules");

            migrationBuilder.DropColumn(
                name: "Tags",
                schema: "registry",
                table: "capsules");

            migrationBuilder.DropColumn(
                name: "UpdatedAt",
                schema: "registry",
                table: "capsules");
        }
    }
}
