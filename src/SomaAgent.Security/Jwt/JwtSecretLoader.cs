using System.Text;
using Microsoft.Extensions.Hosting;

namespace SomaAgent.Security.Jwt;

/// <summary>
/// Reads the HS256 shared secret once at start-up and hands it to the validator. A Vault error, a missing field or
/// a secret shorter than 32 bytes stops the service with a message that names the setting.
/// </summary>
internal sealed class JwtSecretLoader(IJwtSecretSource source, JwtTokenValidator validator) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        string? secret;
        try
        {
            secret = await source.ReadSecretAsync(cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new InvalidOperationException(
                $"The JWT signing secret could not be read from {source.Description}: {ex.Message}. "
                + "Check VAULT_TOKEN (its policy must allow reading the path), GATEWAY_JWT_SECRET and VAULT_ADDR.", ex);
        }
        if (secret is null)
        {
            return;
        }
        var bytes = Encoding.UTF8.GetByteCount(secret);
        if (bytes < JwtOptions.MinimumSecretBytes)
        {
            throw new InvalidOperationException(
                $"The JWT signing secret from {source.Description} is {bytes} bytes; HS256 needs at least {JwtOptions.MinimumSecretBytes}. Store a longer random value.");
        }
        validator.UseSharedSecret(secret);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
