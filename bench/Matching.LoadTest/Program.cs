using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Matching.LoadTest;

// The load harness behind bench/load-scale.sh: `seed` makes the history and model every system
// starts from, `run` drives one running system through every scenario and writes its figures,
// `report` prints the tables of a whole run. The script starts and stops the processes.
var root = new RootCommand("Load harness for the matching service (see bench/README.md).");
root.Subcommands.Add(SeedCommand());
root.Subcommands.Add(RunCommand());
root.Subcommands.Add(ReportCommand());
return await root.Parse(args).InvokeAsync();

static Command SeedCommand()
{
    var db = new Option<FileInfo>("--db") { Description = "SQLite file to create (must not exist).", Required = true };
    var therapists = new Option<int>("--therapists") { Description = "Therapists in the simulated history (the API's demo size).", DefaultValueFactory = _ => 300 };
    var clients = new Option<int>("--clients") { Description = "Simulated clients in the history (the API's demo size).", DefaultValueFactory = _ => 15_000 };
    var seed = new Option<int>("--seed") { Description = "Simulator seed (the API's demo seed).", DefaultValueFactory = _ => 7 };
    var trees = new Option<int>("--trees") { Description = "Trees in the learned model (early stopping off).", DefaultValueFactory = _ => 200 };
    var reports = new Option<DirectoryInfo>("--reports") { Description = "Where the training run's report goes.", Required = true };
    var output = new Option<FileInfo>("--out") { Description = "Summary (JSON) for the report.", Required = true };
    var command = new Command("seed", "Create the seed database: simulated history and an active learned model.") { db, therapists, clients, seed, trees, reports, output };
    command.SetAction(async (parse, ct) =>
    {
        var summary = await SeedDatabase.CreateAsync(parse.GetValue(db)!.FullName, parse.GetValue(therapists), parse.GetValue(clients),
            parse.GetValue(seed), parse.GetValue(trees), parse.GetValue(reports)!.FullName, ct);
        await File.WriteAllTextAsync(parse.GetValue(output)!.FullName, JsonSerializer.Serialize(summary, SystemResult.Json), ct);
        return 0;
    });
    return command;
}

static Command RunCommand()
{
    var name = new Option<string>("--name") { Description = "Name of the system in the tables.", Required = true };
    var kind = new Option<string>("--kind") { Description = "'api' (the directory is imported first) or 'anchor'.", Required = true };
    kind.AcceptOnlyFromAmong("api", "anchor");
    var describe = new Option<string>("--describe") { Description = "What the system is (build, revision).", DefaultValueFactory = _ => "" };
    var url = new Option<string>("--url") { Description = "Base address on loopback, e.g. http://127.0.0.1:5392.", Required = true };
    var pid = new Option<int>("--pid") { Description = "Server process id, for /proc and the runtime counters.", Required = true };
    var output = new Option<FileInfo>("--out") { Description = "Where the system's figures (JSON) go.", Required = true };
    var therapists = new Option<int>("--therapists") { Description = "Directory size imported through the API.", DefaultValueFactory = _ => 10_000 };
    var seed = new Option<int>("--seed") { Description = "Simulator seed of the directory.", DefaultValueFactory = _ => 7 };
    var request = new Option<FileInfo>("--request") { Description = "The standard match request.", DefaultValueFactory = _ => new FileInfo("bench/scale-request.json") };
    var examples = new Option<DirectoryInfo>("--examples") { Description = "Folder with alliance-rating.json and outcome-event.json.", DefaultValueFactory = _ => new DirectoryInfo("examples") };
    var warmup = new Option<double>("--warmup") { Description = "Warm-up seconds before each scenario (not measured).", DefaultValueFactory = _ => 5 };
    var duration = new Option<double>("--duration") { Description = "Measured seconds per scenario.", DefaultValueFactory = _ => 15 };
    var rates = new Option<string>("--rates") { Description = "Open-loop arrival rates, requests/s, comma-separated.", DefaultValueFactory = _ => "100,300" };
    var connections = new Option<int>("--connections") { Description = "Closed-loop connections.", DefaultValueFactory = _ => 16 };
    var maxInFlight = new Option<int>("--max-in-flight") { Description = "Open loop: most requests outstanding at once.", DefaultValueFactory = _ => 128 };
    var backlog = new Option<double>("--backlog") { Description = "Open loop: seconds' worth of arrivals that may wait for a connection before arrivals are dropped.", DefaultValueFactory = _ => 2 };
    var drain = new Option<double>("--drain") { Description = "Seconds outstanding requests may take after a phase before they count as unfinished.", DefaultValueFactory = _ => 15 };
    var timeout = new Option<double>("--timeout") { Description = "Seconds one request may take.", DefaultValueFactory = _ => 20 };
    var command = new Command("run", "Drive one running system through every scenario.")
    {
        name, kind, describe, url, pid, output, therapists, seed, request, examples, warmup, duration, rates, connections, maxInFlight, backlog, drain, timeout,
    };
    command.SetAction(async (parse, ct) =>
    {
        var settings = new RunSettings(
            TimeSpan.FromSeconds(parse.GetValue(warmup)),
            TimeSpan.FromSeconds(parse.GetValue(duration)),
            [.. parse.GetValue(rates)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(r => double.Parse(r, CultureInfo.InvariantCulture))],
            parse.GetValue(connections),
            new LoadLimits(parse.GetValue(maxInFlight), TimeSpan.FromSeconds(parse.GetValue(backlog)), TimeSpan.FromSeconds(parse.GetValue(drain)), TimeSpan.FromSeconds(parse.GetValue(timeout))),
            Seed: 20_260_101);
        if (!Uri.TryCreate(parse.GetValue(url), UriKind.Absolute, out var address) || !address.IsLoopback)
        {
            Console.Error.WriteLine($"{parse.GetValue(url)} is not a loopback address; the harness only loads this machine.");
            return 2;
        }

        var folder = parse.GetValue(examples)!.FullName;
        var workload = new Workload(
            await File.ReadAllBytesAsync(parse.GetValue(request)!.FullName, ct),
            Template(Path.Combine(folder, "alliance-rating.json")),
            Template(Path.Combine(folder, "outcome-event.json")));
        var systemName = parse.GetValue(name)!;
        var systemKind = parse.GetValue(kind)!;
        Console.WriteLine($"== {systemName} ({systemKind}) {parse.GetValue(describe)}");
        var setup = systemKind == "api"
            ? await DirectorySetup.BuildAsync(address, parse.GetValue(therapists), parse.GetValue(seed), workload.StandardRequest, ct)
            : null;
        var run = new SystemRun(systemName, systemKind, parse.GetValue(describe)!, address, parse.GetValue(pid), settings, workload);
        var result = await run.RunAsync(setup, ct);
        await File.WriteAllTextAsync(parse.GetValue(output)!.FullName, JsonSerializer.Serialize(result, SystemResult.Json), ct);
        return 0;
    });
    return command;
}

static Command ReportCommand()
{
    var results = new Option<FileInfo[]>("--results") { Description = "Per-system figures written by run, in table order.", Required = true, AllowMultipleArgumentsPerToken = true };
    var seed = new Option<FileInfo?>("--seed") { Description = "Seed summary written by seed." };
    var markdown = new Option<FileInfo?>("--markdown") { Description = "Also write the tables as markdown here." };
    var command = new Command("report", "Print the tables of a run, with every figure beside the anchor's.") { results, seed, markdown };
    command.SetAction(async (parse, ct) =>
    {
        var systems = new List<SystemResult>();
        foreach (var file in parse.GetValue(results)!)
        {
            systems.Add(JsonSerializer.Deserialize<SystemResult>(await File.ReadAllTextAsync(file.FullName, ct), SystemResult.Json)!);
        }

        var seedSummary = parse.GetValue(seed) is { Exists: true } s
            ? JsonSerializer.Deserialize<SeedSummary>(await File.ReadAllTextAsync(s.FullName, ct), SystemResult.Json)
            : null;
        Console.WriteLine(Report.Render(systems, seedSummary, markdown: false));
        if (parse.GetValue(markdown) is { } md)
        {
            md.Directory?.Create();
            await File.WriteAllTextAsync(md.FullName, Report.Render(systems, seedSummary, markdown: true), ct);
            Console.WriteLine($"markdown: {md.FullName}");
        }

        return 0;
    });
    return command;
}

static JsonObject Template(string file) =>
    JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? throw new InvalidDataException($"{file} is not a JSON object.");
