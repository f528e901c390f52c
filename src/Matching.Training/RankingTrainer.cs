namespace Matching.Training;

/// <summary>The trainers a challenger can come from. Every one trains on the same rows, groups and holdout.</summary>
public enum RankingTrainer
{
    /// <summary>The engine's own LambdaMART, boosted from the rule-based prior as an init score.</summary>
    LambdaMart,
    /// <summary>ML.NET's LightGBM ranking trainer (<c>mlContext.Ranking.Trainers.LightGbm</c>), exported to the engine.</summary>
    MlNetLightGbm,
    /// <summary>ML.NET's FastTree ranking trainer (<c>mlContext.Ranking.Trainers.FastTree</c>), exported to the engine.</summary>
    MlNetFastTree,
}

/// <summary>Names of the trainers as the CLI, the registry and the reports spell them.</summary>
public static class RankingTrainers
{
    /// <summary>Every trainer's name.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Enum.GetValues<RankingTrainer>().Select(Name)];

    /// <summary>The trainers nightly training fits by default: ML.NET's LightGBM and the engine's LambdaMART.</summary>
    public static IReadOnlyList<RankingTrainer> NightlyDefault { get; } = [RankingTrainer.MlNetLightGbm, RankingTrainer.LambdaMart];

    /// <summary>The trainer's name: <c>lambdamart</c>, <c>mlnet-lightgbm</c> or <c>mlnet-fasttree</c>.</summary>
    public static string Name(RankingTrainer trainer) => trainer switch
    {
        RankingTrainer.LambdaMart => "lambdamart",
        RankingTrainer.MlNetLightGbm => "mlnet-lightgbm",
        RankingTrainer.MlNetFastTree => "mlnet-fasttree",
        _ => throw new ArgumentOutOfRangeException(nameof(trainer), trainer, null),
    };

    /// <summary>Reads a trainer name; null when it is not one.</summary>
    public static RankingTrainer? Parse(string name)
    {
        foreach (var t in Enum.GetValues<RankingTrainer>())
        {
            if (string.Equals(Name(t), name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return t;
            }
        }

        return null;
    }
}
