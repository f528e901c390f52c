using System.Globalization;
using System.Net;
using System.Text;
using Matching.Engine.Matching;
using Matching.Engine.Ranking;

namespace Matching.Training;

/// <summary>Small, dependency-free SVG charts for the reports.</summary>
public static class Svg
{
    private const int Width = 640, Height = 320, Left = 190, Right = 60, Top = 40, Bottom = 40;
    private static readonly string[] Palette = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#9d755d"];

    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>A horizontal bar chart.</summary>
    public static string Bars(string title, IReadOnlyList<(string Label, double Value)> bars, string valueFormat = "0.000")
    {
        ArgumentNullException.ThrowIfNull(bars);
        var height = Top + Bottom + (bars.Count * 28);
        var min = Math.Min(0, bars.Select(b => b.Value).DefaultIfEmpty(0).Min());
        var max = Math.Max(0, bars.Select(b => b.Value).DefaultIfEmpty(1).Max());
        var span = max - min <= 0 ? 1 : max - min;
        double X(double v) => Left + ((v - min) / span * (Width - Left - Right));
        var svg = Begin(title, height);
        svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{F(X(0))}\" y1=\"{Top - 5}\" x2=\"{F(X(0))}\" y2=\"{height - Bottom + 5}\" stroke=\"#888\"/>");
        for (var i = 0; i < bars.Count; i++)
        {
            var (label, value) = bars[i];
            var y = Top + (i * 28);
            var x0 = Math.Min(X(0), X(value));
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{Left - 8}\" y=\"{y + 15}\" text-anchor=\"end\">{WebUtility.HtmlEncode(label)}</text>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{F(x0)}\" y=\"{y + 3}\" width=\"{F(Math.Abs(X(value) - X(0)))}\" height=\"18\" fill=\"{Palette[i % Palette.Length]}\"/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{F(Math.Max(X(value), X(0)) + 4)}\" y=\"{y + 16}\">{value.ToString(valueFormat, CultureInfo.InvariantCulture)}</text>");
        }

        return End(svg);
    }

    /// <summary>A line chart of series over iterations.</summary>
    public static string Lines(string title, IReadOnlyList<(string Name, IReadOnlyList<double> Values)> series, string xLabel)
    {
        ArgumentNullException.ThrowIfNull(series);
        var all = series.SelectMany(s => s.Values).Where(double.IsFinite).ToList();
        var min = all.DefaultIfEmpty(0).Min();
        var max = all.DefaultIfEmpty(1).Max();
        if (max - min < 1e-9)
        {
            max = min + 1;
        }

        var count = Math.Max(2, series.Select(s => s.Values.Count).DefaultIfEmpty(2).Max());
        const int left = 60;
        double X(int i) => left + ((double)i / (count - 1) * (Width - left - Right));
        double Y(double v) => Height - Bottom - ((v - min) / (max - min) * (Height - Top - Bottom));
        var svg = Begin(title, Height);
        svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\" stroke=\"#888\"/>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{F(Y(max) + 4)}\" text-anchor=\"end\">{F(max)}</text>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{F(Y(min) + 4)}\" text-anchor=\"end\">{F(min)}</text>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{(Width + left) / 2}\" y=\"{Height - 8}\" text-anchor=\"middle\">{WebUtility.HtmlEncode(xLabel)} (1-{count})</text>");
        for (var s = 0; s < series.Count; s++)
        {
            var points = string.Join(' ', series[s].Values.Select((v, i) => $"{F(X(i))},{F(Y(v))}"));
            svg.AppendLine(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{Palette[s % Palette.Length]}\" stroke-width=\"2\" points=\"{points}\"/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left + 10}\" y=\"{Top + 4 + (s * 16)}\" fill=\"{Palette[s % Palette.Length]}\">{WebUtility.HtmlEncode(series[s].Name)}</text>");
        }

        return End(svg);
    }

    /// <summary>Train and (when there is one) validation NDCG@10 per boosting round, as every report shows it.</summary>
    public static string Iterations(IReadOnlyList<IterationMetrics> iterations)
    {
        ArgumentNullException.ThrowIfNull(iterations);
        var series = new List<(string, IReadOnlyList<double>)> { ("train NDCG@10", iterations.Select(i => i.TrainNdcg[^1]).ToList()) };
        if (iterations.Count > 0 && iterations[0].ValidNdcg is not null)
        {
            series.Add(("validation NDCG@10", iterations.Select(i => i.ValidNdcg![^1]).ToList()));
        }

        return Lines("NDCG@10 per boosting iteration", series, "iteration");
    }

    /// <summary>Share of split gain per feature group, as every report shows it.</summary>
    public static string Importance(IReadOnlyDictionary<FeatureGroup, double> importance)
    {
        ArgumentNullException.ThrowIfNull(importance);
        return Bars("Feature importance by pillar (share of split gain)", importance.Select(kv => (kv.Key.ToString(), kv.Value)).ToList(), "0%");
    }

    private static StringBuilder Begin(string title, int height)
    {
        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">{WebUtility.HtmlEncode(title)}</text>");
        return svg;
    }

    private static string End(StringBuilder svg) => svg.AppendLine("</svg>").ToString();
}
