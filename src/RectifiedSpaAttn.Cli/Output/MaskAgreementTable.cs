using System.Globalization;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Cli.Output;

/// <summary>
/// Per head, in how many block entries two masks differ: a head whose selection differs from a reference mask ends
/// away from the reference output, and this says which heads and by how much.
/// </summary>
internal static class MaskAgreementTable
{
    public static void Write(TextWriter output, string what, HostTensor<bool> mask, HostTensor<bool> reference)
    {
        int[] differences = MaskStatistics.PerHeadDifferences(mask, reference);
        int perHead = mask.Shape[2] * mask.Shape[3];
        output.WriteLine($"mask agreement: {what}");
        output.WriteLine("  head   blocks differing   share");
        for (int i = 0; i < differences.Length; i++) output.WriteLine(Row(i.ToString(CultureInfo.InvariantCulture), differences[i], perHead));
        output.WriteLine(Row("all", differences.Sum(), perHead * differences.Length));
        output.WriteLine("  (0 is the same selection; a head whose mask differs computes other blocks, so its output differs too)");
    }

    private static string Row(string head, int differing, int of) =>
        string.Create(CultureInfo.InvariantCulture, $"  {head,4}   {differing,7} of {of,-7}  {(of == 0 ? 0 : 100.0 * differing / of),6:F2}%");
}
