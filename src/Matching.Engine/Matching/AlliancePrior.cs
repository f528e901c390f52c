namespace Matching.Engine.Matching;

/// <summary>
/// The alliance a therapist with no track record is assumed to have, and the value a short track
/// record is shrunk towards: the population mean of the normalised overall alliance (0-1) of the
/// stored ratings, each rating counted once. It must be the true mean: a prior below it ranks
/// every new therapist down (and one above it, up) against therapists with a history.
/// </summary>
/// <remarks>
/// It is measured, not chosen. The directory snapshot derives it from the same track records it
/// holds each time it is rebuilt from the database (<see cref="Of"/>), so the features a shortlist
/// logs carry the prior that served them, and training reads those logged features. Below
/// <see cref="MinimumRatings"/> ratings the mean is too noisy and <see cref="Fallback"/> serves.
/// </remarks>
/// <param name="Mean">Mean normalised overall alliance, 0-1.</param>
/// <param name="Ratings">Ratings it was measured on; 0 for <see cref="Fallback"/>.</param>
public readonly record struct AlliancePrior(double Mean, int Ratings)
{
    /// <summary>Pseudo-ratings of prior weight in a shrunken track record.</summary>
    public const double Weight = 10;

    /// <summary>
    /// Ratings needed before the measured mean replaces <see cref="Fallback"/>: with the
    /// simulator's spread of the overall score (SD about 0.18) the mean of 100 ratings is within
    /// about ±0.035 (2 SE), less than the 0.04 between the science page's figure and the simulator's.
    /// </summary>
    public const int MinimumRatings = 100;

    /// <summary>
    /// The prior before enough ratings are stored: the science page's WAI-SR population total of
    /// about 49 (of 12-60) on the 0-1 scale, i.e. an item mean of 49/12 rescaled from 1-5.
    /// </summary>
    public static AlliancePrior Fallback { get; } = new((49.0 / 12 - 1) / 4, 0);

    /// <summary>The prior from a count of ratings and the sum of their normalised overall scores.</summary>
    public static AlliancePrior FromRatings(int ratings, double sumOfOverall) =>
        ratings < MinimumRatings ? Fallback : new(sumOfOverall / ratings, ratings);

    /// <summary>The prior from every therapist's track record: the mean over all their ratings (not the mean of their means).</summary>
    public static AlliancePrior Of(IEnumerable<TrackRecord> tracks)
    {
        ArgumentNullException.ThrowIfNull(tracks);
        var ratings = 0;
        double sum = 0;
        foreach (var t in tracks)
        {
            ratings += t.Ratings;
            sum += t.Ratings * t.MeanAlliance;
        }

        return FromRatings(ratings, sum);
    }

    /// <summary>A mean alliance over <paramref name="n"/> ratings shrunk towards the prior with <see cref="Weight"/> pseudo-ratings.</summary>
    public double Shrink(int n, double mean) => ((n * mean) + (Weight * Mean)) / (n + Weight);
}
