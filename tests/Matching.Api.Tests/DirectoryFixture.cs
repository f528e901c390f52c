using Matching.Api.Infrastructure;

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

    [OneTimeTearDown]
    public void Stop()
    {
        DirectoryClient.Dispose();
        IntakeClient.Dispose();
        DataClient.Dispose();
        Factory.Dispose();
    }
}
