using System.Globalization;
using System.Net;
using System.Text;

namespace RectifiedSpaAttn.Cli.Output;

/// <summary>One head's pictures and figures on the <c>rsa inspect</c> page.</summary>
internal sealed record InspectedHead(int Index, int Batch, int Head, string MaskImage, double Density, string? MassImage, int? Differing, double? RelativeL2);

/// <summary>Writes <c>index.html</c> for <c>rsa inspect</c>: every head's mask (and masses, errors, differences) with a legend.</summary>
internal static class InspectPage
{
    public static string Render(string source, string tensor, string shapeText, string? against, IReadOnlyList<InspectedHead> heads)
    {
        var html = new StringBuilder();
        string E(string text) => WebUtility.HtmlEncode(text);
        string N(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
        html.AppendLine("<!DOCTYPE html>");
        html.AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\"><title>rsa inspect: " + E(Path.GetFileName(source)) + "</title>");
        html.AppendLine("<style>body{font-family:sans-serif;margin:2em}figure{display:inline-block;margin:0 1.5em 1.5em 0;vertical-align:top}" +
                        "img{image-rendering:pixelated;border:1px solid #999;max-width:512px}.bar{background:#1f3b73;height:1em}" +
                        ".sw{display:inline-block;width:1em;height:1em;border:1px solid #999;vertical-align:middle}td,th{padding:0 .6em;text-align:right}</style></head><body>");
        html.AppendLine($"<h1>Block mask of {E(Path.GetFileName(source))}</h1>");
        html.AppendLine($"<p>Tensor <code>{E(tensor)}</code> {E(shapeText)} from <code>{E(source)}</code>. One picture per head (head = b &times; H + h): " +
                        "key blocks across, query blocks down.</p>");
        string Swatch(SixLabors.ImageSharp.PixelFormats.Rgb24 c) => $"<span class=\"sw\" style=\"background:#{c.R:x2}{c.G:x2}{c.B:x2}\"></span>";
        html.AppendLine($"<p>{Swatch(MaskImages.Critical)} critical (computed exactly) &nbsp; {Swatch(MaskImages.Skipped)} not critical" +
                        (against is null ? "" : $" &nbsp; {Swatch(MaskImages.OnlyHere)} critical here only &nbsp; " +
                        $"{Swatch(MaskImages.OnlyThere)} critical in <code>{E(against)}</code> only") + "</p>");

        bool anyError = heads.Any(h => h.RelativeL2 is not null);
        if (anyError)
        {
            double worst = Math.Max(heads.Max(h => h.RelativeL2 ?? 0), 1e-12);
            html.AppendLine("<h2>Error against dense attention per head</h2><p>Relative L2 error of the head's output; lower is better.</p><table>");
            html.AppendLine("<tr><th>head</th><th>rel-L2</th><th style=\"text-align:left\"></th></tr>");
            foreach (InspectedHead h in heads)
                html.AppendLine($"<tr><td>{h.Index}</td><td>{N(h.RelativeL2 ?? 0, "0.000000")}</td><td style=\"width:300px\"><div class=\"bar\" style=\"width:{N(100 * (h.RelativeL2 ?? 0) / worst, "0.0")}%\"></div></td></tr>");
            html.AppendLine("</table>");
        }

        html.AppendLine("<h2>Heads</h2>");
        foreach (InspectedHead h in heads)
        {
            html.Append($"<figure><img src=\"{E(h.MaskImage)}\" alt=\"block mask of head {h.Index}\"><figcaption>head {h.Index} (b {h.Batch}, h {h.Head}): density {N(h.Density, "0.0000")}");
            if (h.Differing is int differing) html.Append($", {differing} blocks differ");
            if (h.RelativeL2 is double error) html.Append($", rel-L2 {N(error, "0.0000")}");
            html.AppendLine("</figcaption></figure>");
            if (h.MassImage is not null)
                html.AppendLine($"<figure><img src=\"{E(h.MassImage)}\" alt=\"block masses of head {h.Index}\"><figcaption>head {h.Index}: estimated block mass (white 0, dark the head's largest; square-root scale)</figcaption></figure>");
        }
        html.AppendLine("</body></html>");
        return html.ToString();
    }
}
