using System.CommandLine;
using Matching.Training;

namespace Matching.Cli.Learning;

/// <summary><c>--trainer mlnet-lightgbm|mlnet-fasttree|lambdamart</c>, shared by the commands that train.</summary>
internal static class TrainerOption
{
    public static Option<string> Create(string description, string defaultName)
    {
        var option = new Option<string>("--trainer")
        {
            Description = $"{description} One of {string.Join(", ", RankingTrainers.Names)}.",
            DefaultValueFactory = _ => defaultName,
        };
        option.AcceptOnlyFromAmong([.. RankingTrainers.Names]);
        return option;
    }

    public static RankingTrainer Value(ParseResult parse, Option<string> option) =>
        RankingTrainers.Parse(parse.GetValue(option)!) ?? throw new ArgumentException($"Unknown trainer {parse.GetValue(option)}.");
}
