namespace Matching.Engine.Domain;

/// <summary>Alliance questionnaires the service accepts.</summary>
public enum AllianceInstrument
{
    /// <summary>Working Alliance Inventory, short revised (Hatcher &amp; Gillaspy 2006): 12 items scored 1-5.</summary>
    WaiSr,
    /// <summary>Working Alliance Inventory, short form (Tracey &amp; Kokotovic 1989): 12 items scored 1-7.</summary>
    WaiS,
    /// <summary>Session Rating Scale: 4 visual-analogue items scored 0-10 (Relationship, Goals and topics, Approach or method, Overall).</summary>
    Srs,
}

/// <summary>An alliance score normalised to [0, 1] per Bordin pillar, comparable across instruments.</summary>
/// <param name="Goal">Agreement on goals.</param>
/// <param name="Task">Agreement on tasks.</param>
/// <param name="Bond">The bond.</param>
public sealed record AllianceScore(double Goal, double Task, double Bond)
{
    /// <summary>Overall alliance: the mean of the three pillars.</summary>
    public double Overall => (Goal + Task + Bond) / 3.0;
}

/// <summary>
/// Item keys and scale ranges of the supported instruments, and normalisation to
/// <see cref="AllianceScore"/>. Each pillar is its items' mean rescaled from the instrument's
/// range to [0, 1]; there are no clinical norms for the WAI, so scores are relative.
/// </summary>
public static class AllianceScale
{
    // WAI-SR and WAI-S share the item-to-subscale key (1-based item numbers):
    // Task = 1, 2, 10, 12; Bond = 3, 5, 7, 9; Goal = 4, 6, 8, 11.
    private static readonly int[] WaiTask = [1, 2, 10, 12];
    private static readonly int[] WaiBond = [3, 5, 7, 9];
    private static readonly int[] WaiGoal = [4, 6, 8, 11];

    /// <summary>Number of items the instrument has.</summary>
    public static int ItemCount(AllianceInstrument instrument) => instrument == AllianceInstrument.Srs ? 4 : 12;

    /// <summary>Lowest and highest score of one item.</summary>
    public static (int Min, int Max) ItemRange(AllianceInstrument instrument) => instrument switch
    {
        AllianceInstrument.WaiSr => (1, 5),
        AllianceInstrument.WaiS => (1, 7),
        AllianceInstrument.Srs => (0, 10),
        _ => throw new ArgumentOutOfRangeException(nameof(instrument)),
    };

    /// <summary>
    /// Items per pillar: 4 for the WAI forms. For the SRS, Goal is item 2, Task item 3, Bond
    /// item 1; item 4 (overall) is spread evenly as it rates the whole session.
    /// </summary>
    public static int ItemsPerSubscale(AllianceInstrument instrument) => instrument == AllianceInstrument.Srs ? 1 : 4;

    /// <summary>Normalises item scores (1-based item order as printed on the form).</summary>
    /// <exception cref="ArgumentException">Wrong number of items or an item out of range.</exception>
    public static AllianceScore FromItems(AllianceInstrument instrument, IReadOnlyList<int> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var (min, max) = ItemRange(instrument);
        if (items.Count != ItemCount(instrument))
        {
            throw new ArgumentException($"{instrument} has {ItemCount(instrument)} items, got {items.Count}.", nameof(items));
        }

        foreach (var item in items)
        {
            if (item < min || item > max)
            {
                throw new ArgumentException($"{instrument} items are scored {min}-{max}.", nameof(items));
            }
        }

        double Scale(double mean) => (mean - min) / (max - min);

        if (instrument == AllianceInstrument.Srs)
        {
            // Overall (item 4) is averaged into every pillar with the same weight as the pillar's own item.
            return new AllianceScore(
                Goal: Scale((items[1] + items[3]) / 2.0),
                Task: Scale((items[2] + items[3]) / 2.0),
                Bond: Scale((items[0] + items[3]) / 2.0));
        }

        double Mean(int[] key)
        {
            var sum = 0;
            foreach (var k in key)
            {
                sum += items[k - 1];
            }

            return sum / (double)key.Length;
        }

        return new AllianceScore(Scale(Mean(WaiGoal)), Scale(Mean(WaiTask)), Scale(Mean(WaiBond)));
    }

    /// <summary>
    /// Normalises subscale totals (sum of the subscale's items; for the SRS the single item
    /// score of Goals and topics, Approach or method, and Relationship).
    /// </summary>
    /// <exception cref="ArgumentException">A total out of the subscale's range.</exception>
    public static AllianceScore FromSubscales(AllianceInstrument instrument, double goal, double task, double bond)
    {
        var (min, max) = ItemRange(instrument);
        var n = ItemsPerSubscale(instrument);
        double Scale(double total, string name)
        {
            if (double.IsNaN(total) || total < min * n || total > max * n)
            {
                throw new ArgumentException($"{instrument} {name} subscale totals are {min * n}-{max * n}.", name);
            }

            return (total / n - min) / (max - min);
        }

        return new AllianceScore(Scale(goal, nameof(goal)), Scale(task, nameof(task)), Scale(bond, nameof(bond)));
    }
}

/// <summary>Outcome events reported after a match.</summary>
public enum OutcomeKind
{
    /// <summary>The client stopped attending.</summary>
    Dropout,
    /// <summary>The client asked for a different therapist.</summary>
    Rematch,
    /// <summary>Therapy ended as planned.</summary>
    Completed,
}
