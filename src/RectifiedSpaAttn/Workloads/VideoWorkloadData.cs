using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.Workloads;

/// <summary>
/// A generated workload: Q, K, V of shape <c>[B, H, S, D]</c> with the visual tokens first in row-major grid order
/// (<c>t * H * W + y * W + x</c>) and the text-token slots last.
/// </summary>
public sealed class VideoWorkloadData
{
    internal VideoWorkloadData(VideoWorkloadOptions options, HostTensor<float> q, HostTensor<float> k, HostTensor<float> v)
    {
        Options = options;
        Q = q;
        K = k;
        V = v;
    }

    /// <summary>Queries <c>[B, H, S, D]</c>.</summary>
    public HostTensor<float> Q { get; }

    /// <summary>Keys <c>[B, H, S, D]</c>.</summary>
    public HostTensor<float> K { get; }

    /// <summary>Values <c>[B, H, S, D]</c>.</summary>
    public HostTensor<float> V { get; }

    /// <summary>The options the workload was generated with.</summary>
    public VideoWorkloadOptions Options { get; }

    /// <summary>Number of visual tokens (the grid's token count); they come first.</summary>
    public int VisualTokens => Options.Grid.TokenCount;

    /// <summary>The sink tokens (row-major visual indices) of each batch item, ascending.</summary>
    public IReadOnlyList<IReadOnlyList<int>> Sinks { get; internal init; } = [];
}
