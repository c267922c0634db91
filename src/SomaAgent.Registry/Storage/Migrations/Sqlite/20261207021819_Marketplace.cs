using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SomaAgent.Registry.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Marketplace : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Description",
                table: "capsules",
                type: "TEXT",
                maxLength: 1024,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<long>(
                name: "Downloads",
                table: "capsules",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<bool>(
                name: "IsPublic",
                table: "capsules",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "LatestVersion",
                table: "capsules",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Publisher",
                table: "capsules",
                type: "TEXT",
                maxLength: 128,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "PublisherKey",
                table: "capsules",
                type: "TEXT",
                maxLength: 128,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "SearchText",
                table: "capsules",
                type: "TEXT",
                maxLength: 600,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Tags",
                table: "capsules",
                type: "TEXT",
                maxLength: 1024,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<DateTime>(
                name: "UpdatedAt",
                table: "capsules",
                type: "TEXT",
                nullable: false,
                defaultValue: new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified));

            migrationBuilder.CreateTable(
                name: "blobs",
                columns: table => new
                {
                    Digest = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Size = table.Column<long>(type: "INTEGER", nullable: false),
                    TouchedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Deleting = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_blobs", x => x.Digest);
                });

            migrationBuilder.CreateTable(
                name: "capsule_tags",
                columns: table => new
                {
                    Tag = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    CapsuleName = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_capsule_tags", x => new { x.Tag, x.CapsuleName });
                });

            migrationBuilder.CreateTable(
                name: "capsule_versions",
                columns: table => new
                {
                    CapsuleName = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Version = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    PackageDigest = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    PackageSize = table.Column<long>(type: "INTEGER", nullable: false),
                    Signature = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    KeyId = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false),
                    BundleJson = table.Column<string>(type: "TEXT", nullable: false),
                    ManifestJson = table.Column<string>(type: "TEXT", nullable: false),
                    Readme = table.Column<string>(type: "TEXT", nullable: true),
                    Description = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false),
                    Publisher = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    PublishedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Downloads = table.Column<long>(type: "INTEGER", nullable: false),
                    Yanked = table.Column<bool>(type: "INTEGER", nullable: false),
                    YankReason = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true),
                    YankedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_capsule_versions", x => new { x.CapsuleName, x.Version });
                });

            migrationBuilder.CreateTable(
                name: "installations",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    CapsuleName = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Version = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_installations", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "signing_keys",
                columns: table => new
                {
                    TenantId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    KeyId = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    PublicKeyPem = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    RevokedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_signing_keys", x => new { x.TenantId, x.KeyId });
                });

            migrationBuilder.CreateIndex(
                name: "IX_capsules_PublisherKey",
                table: "capsules",
                column: "PublisherKey");

            migrationBuilder.CreateIndex(
                name: "IX_capsule_tags_CapsuleName",
                table: "capsule_tags",
                column: "CapsuleName");

            migrationBuilder.CreateIndex(
                name: "IX_capsule_versions_PackageDigest",
                table: "capsule_versions",
                column: "PackageDigest");

            migrationBuilder.CreateIndex(
                name: "IX_installations_TenantId_CapsuleName_Version",
                table: "installations",
                columns: new[] { "TenantId", "CapsuleName", "Version" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_installations_TenantId_CreatedAt_Id",
                table: "installations",
                columns: new[] { "TenantId", "CreatedAt", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "blobs");

            migrationBuilder.DropTable(
                name: "capsule_tags");

            migrationBuilder.DropTable(
                name: "capsule_versions");

            migrationBuilder.DropTable(
                name: "installations");

            migrationBuilder.DropTable(
                name: "signing_keys");

            migrationBuilder.DropIndex(
                name: "IX_capsules_PublisherKey",
                table: "capsules");

            migrationBuilder.DropColumn(
                name: "Description",
                table: "capsules");

            migrationBuilder.DropColumn(
                name: "Downloads",
                table: "capsules");

            migrationBuilder.DropColumn(
                name: "IsPublic",
                table: "capsules");

            migrationBuilder.DropColumn(
                name: "LatestVersion",
                table: "capsules");

            migrationBuilder.DropColumn(
                name: "Publisher",
                table: "capsules");

            migrationBuilder.DropColumn(
                name: "PublisherKey",
                table: "capsules");

            migrationBuilder.DropColumn(
                name: "SearchText",
                table: "capsules");

            migrationBuilder.DropColumn(
                name: "Tags",
                table: "capsules");

            migrationBuilder.DropColumn(
                name: "UpdatedAt",
                table: "capsules");
        }
    }
}
