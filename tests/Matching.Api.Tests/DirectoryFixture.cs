using Dapper;
using Matching.Api.Infrastructure;
using Matching.Data;
using Microsoft.Extensions.DependencyInjection;

namespace Matching.Api.Tests;

/// <summary>
/// One application per test class on its own SQLite file, with <see cref="TestDirectory"/>
/// imported and a client per role. Tests in a class share it, so each uses its own client ids.
/// </summary>
public abstract class DirectoryFixture
{
    protected MatchingApiFactory Factory { get; private set; } = null!;

    protected HttpClient DirectoryClient { get; private set; } = null!;

    protected HttpClient IntakeClient { get; private set; } = null!;

    protected HttpClient DataClient { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        Factory = new MatchingApiFactory();
        await Factory.ImportDirectoryAsync();
        DirectoryClient = Factory.ClientFor(Role.Directory);
        IntakeClient = Factory.ClientFor(Role.Intake);
        DataClient = Factory.ClientFor(Role.Data);
    }

    /// <summary>Rows of <paramref name="table"/> matching <paramref name="where"/>, read from the application's own database.</summary>
    protected async Task<long> CountAsync(string table, string where, object args)
    {
        var db = Factory.Services.GetRequiredService<MatchingDatabase>();
        return await db.RunAsync((c, ct) => c.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM {table} WHERE {where}", args, cancellationToken: ct)), default);
    }

    [OneTimeTearDown]
    public void Stop()
    {
        DirectoryClient.Dispose();
        IntakeClient.Dispose();
        DataClient.Dispose();
        Factory.Dispose();
    }
}
