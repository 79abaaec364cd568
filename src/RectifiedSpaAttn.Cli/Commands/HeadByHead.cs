using RectifiedSpaAttn.Cli.Progress;
using RectifiedSpaAttn.Numerics;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Cli.Commands;

/// <summary>
/// Runs attention one (b, h) head at a time and puts the pieces back together, so a long computation can say which
/// head it is on. Heads are independent in every method (selection, rectification and attention are per head).
/// </summary>
internal static class HeadByHead
{
    public delegate AttentionOutcome HeadRun(HostTensor q, HostTensor k, HostTensor v, HostTensor<bool>? mask);

    public static AttentionOutcome Run(
        HostTensor q, HostTensor k, HostTensor v, HostTensor<bool>? mask, IProgress<HeadProgress> progress, string step, HeadRun run)
    {
        int batch = q.Shape[0], heads = q.Shape[1], total = batch * heads;
        HostTensor<double>? output = null;
        HostTensor<bool>? fullMask = null;
        HostTensor<float>? blockMass = null;
        double density = 0;
        TimeSpan elapsed = TimeSpan.Zero;
        progress.Report(new HeadProgress(step, 0, total));
        for (int b = 0, done = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
            {
                AttentionOutcome part = run(Slice(q, b, h), Slice(k, b, h), Slice(v, b, h), mask is null ? null : SliceOf(mask, b, h));
                output ??= new HostTensor<double>(batch, heads, part.Output.Shape[2], part.Output.Shape[3]);
                fullMask ??= new HostTensor<bool>(batch, heads, part.Mask.Shape[2], part.Mask.Shape[3]);
                part.Output.Span.CopyTo(output.Row(b, h));
                part.Mask.Span.CopyTo(fullMask.Row(b, h));
                if (part.BlockMass is { } mass)
                {
                    blockMass ??= new HostTensor<float>(batch, heads, mass.Shape[2], mass.Shape[3]);
                    mass.Span.CopyTo(blockMass.Row(b, h));
                }
                density += part.Density / total; // every head has the same number of block pairs
                elapsed += part.Elapsed;
                progress.Report(new HeadProgress(step, ++done, total));
            }
        return new AttentionOutcome(output!, fullMask!, density, elapsed, blockMass);
    }

    private static HostTensor Slice(HostTensor tensor, int b, int h) => tensor switch
    {
        HostTensor<float> t => SliceOf(t, b, h),
        HostTensor<Half> t => SliceOf(t, b, h),
        HostTensor<BFloat16> t => SliceOf(t, b, h),
        HostTensor<double> t => SliceOf(t, b, h),
        _ => throw new ArgumentException($"attention takes floating-point inputs, not {tensor.ElementType}"),
    };

    private static HostTensor<T> SliceOf<T>(HostTensor<T> tensor, int b, int h) where T : unmanaged =>
        HostTensor<T>.FromSpan(tensor.Row(b, h), 1, 1, tensor.Shape[2], tensor.Shape[3]);
}
