namespace RectifiedSpaAttn.Bench.Anchors;

/// <summary>
/// The numbers to beat, measured on an H100 80GB HBM3 with PyTorch 2.11 (bf16, B = 1, median of many runs,
/// 2026-11-22; see the shared device notes). Times in milliseconds.
/// </summary>
public static class DeviceAnchors
{
    public sealed record Anchor(int S, int H, int D, double FlashAttention2Ms, double CudnnMs, double TritonDense, double TritonQuarter, double TritonTenth);

    public static IReadOnlyList<Anchor> H100 { get; } =
    [
        new(16384, 24, 128, 9.15, 5.23, 14.9, 4.20, 1.97),
        new(75600, 40, 128, 328, 208, 548, 165, 68.9),
        new(32768, 24, 64, 21.3, 13.9, 24.4, 6.45, 2.95),
    ];

    /// <summary>Writes the anchors with their TFLOP/s, so a run's own figures can be read side by side.</summary>
    public static void Print(TextWriter writer)
    {
        writer.WriteLine("Anchors (H100, PyTorch 2.11, bf16, B=1): ms (TFLOP/s)");
        writer.WriteLine("  S, H, D            FA2 (SDPA)        cuDNN SDPA        Triton block-sparse 1.0 / 0.25 / 0.10");
        foreach (var a in H100)
        {
            double flops = Columns.AttentionFlops.Of(1, a.H, a.S, a.D);
            string T(double ms, double density = 1) => $"{ms} ({flops * density / (ms * 1e9):F0})";
            writer.WriteLine($"  {a.S}, {a.H}, {a.D,-5}    {T(a.FlashAttention2Ms),-16}  {T(a.CudnnMs),-16}  {T(a.TritonDense)} / {T(a.TritonQuarter, 0.25)} / {T(a.TritonTenth, 0.10)}");
        }
    }
}
