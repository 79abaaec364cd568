namespace RectifiedSpaAttn.Compute;

/// <summary>Warp-level instructions new in sm_90. Only kernels marked <see cref="RequiresHopperAttribute"/> may use these.</summary>
public static class HopperWarp
{
    /// <summary><c>elect.sync</c> over the full warp: true in exactly one lane (the lowest), false in the others. All 32 lanes must call it.</summary>
    public static bool ElectOne() => throw new KernelOnlyException("HopperWarp.ElectOne");

    /// <summary>
    /// <c>stmatrix.sync.aligned.m8n8.x4.shared.b16</c>, the inverse of <c>TensorCore.LoadMatrixX4</c>: lane
    /// <c>8m + r</c> gives the element index (in <paramref name="shared"/>, 16-bit elements, 16-byte aligned) of row r of
    /// matrix m; register m of lane l holds row <c>l / 4</c>, elements <c>2 (l % 4)</c> (bits 0-15) and the next, of matrix m.
    /// </summary>
    public static void StoreMatrixX4<T>(ArrayView<T> shared, int rowOffset, uint r0, uint r1, uint r2, uint r3) where T : unmanaged
        => throw new KernelOnlyException("HopperWarp.StoreMatrixX4");
}
