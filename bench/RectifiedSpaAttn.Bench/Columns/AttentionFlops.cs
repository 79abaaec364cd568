namespace RectifiedSpaAttn.Bench.Columns;

/// <summary>The FLOP count convention the anchors use: 4·B·H·S²·D for attention, times the density for sparse.</summary>
public static class AttentionFlops
{
    public static double Of(int batch, int heads, int sequence, int headDim, double density = 1.0) =>
        4.0 * batch * heads * (double)sequence * sequence * headDim * density;
}

/// <summary>Implemented by benchmark classes so the throughput column can compute FLOP/s for their current parameters.</summary>
public interface IAttentionWorkload
{
    /// <summary>Floating-point operations one invocation performs, by the anchors' convention.</summary>
    double Flops { get; }
}
