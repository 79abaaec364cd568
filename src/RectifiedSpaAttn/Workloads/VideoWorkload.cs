using RectifiedSpaAttn.Tensors;
using RectifiedSpaAttn.Video;

namespace RectifiedSpaAttn.Workloads;

/// <summary>
/// Generates seedable, video-like attention inputs: the default input of <c>rsa demo</c> and a stand-in for the
/// activations of a video diffusion transformer where none are at hand.
/// </summary>
/// <remarks>
/// <para>Every visual token sits on the <c>T x H x W</c> grid. Its query and key hold low-frequency Fourier features
/// of its position, split over the t, y and x axes the way rotary embeddings of video transformers are, with a
/// Gaussian spectrum per axis: <c>q . k / sqrt(D)</c> is close to
/// <c>Sharpness * (st * kt(dt) + sy * ky(dy) + sx * kx(dx))</c>, a sum of smooth bumps of the distance along each axis.
/// Heads cycle through four patterns of shares and length scales: local (lt, ly, lx = 1, 1.5, 2 tokens), within-frame
/// (0.7, 3, 4, most weight on the same frame), same-place-across-frames (3, 1, 1.5, most weight on the spatial axes)
/// and broad (2, 4, 6), each jittered per head. Independent content noise on queries and keys keeps tokens of one
/// block distinct.</para>
/// <para>A few sink tokens per batch item get keys aligned with a direction every query shares, so they draw
/// attention from everywhere, as in real models. Valid text keys share that direction too; invalid text slots hold
/// unrelated noise. Values are smooth plane waves over the grid plus noise, so pooled block means of V are
/// informative, which is what rectification relies on.</para>
/// <para>The result depends only on the options: the same seed gives the same bits on every run (each (batch, head)
/// slice has its own random stream, so the parallel generation cannot change them).</para>
/// </remarks>
public static class VideoWorkload
{
    /// <summary>Generates Q, K and V for <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting is out of range (see <see cref="VideoWorkloadOptions.Validate"/>).</exception>
    public static VideoWorkloadData Generate(VideoWorkloadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int batch = options.Batch, heads = options.Heads, s = options.SequenceLength, d = options.HeadDim;
        var q = new HostTensor<float>(batch, heads, s, d);
        var k = new HostTensor<float>(batch, heads, s, d);
        var v = new HostTensor<float>(batch, heads, s, d);

        int[][] sinks = new int[batch][];
        for (int b = 0; b < batch; b++) sinks[b] = ChooseSinks(options, new WorkloadRandom(options.Seed, -1L - b));

        // Each (batch, head) slice has its own random stream, so the parallel loop cannot change the bits.
        Parallel.For(0, batch * heads, slice =>
        {
            int b = slice / heads, h = slice % heads;
            var random = new WorkloadRandom(options.Seed, 1L + slice);
            var head = new HeadGenerator(options, h, random);
            head.Fill(q.Row(b, h), k.Row(b, h), v.Row(b, h), sinks[b]);
        });
        return new VideoWorkloadData(options, q, k, v) { Sinks = [.. sinks.Select(s => (IReadOnlyList<int>)Array.AsReadOnly(s))] };
    }

    // Floyd's algorithm: count distinct tokens with O(count) work however large the grid.
    private static int[] ChooseSinks(VideoWorkloadOptions options, WorkloadRandom random)
    {
        int n = options.Grid.TokenCount, count = options.SinkCount;
        var chosen = new HashSet<int>();
        for (int j = n - count; j < n; j++)
        {
            int candidate = random.NextInt(j + 1);
            chosen.Add(chosen.Contains(candidate) ? j : candidate);
        }
        int[] result = [.. chosen];
        Array.Sort(result);
        return result;
    }

    // Length scales (tokens) of the value waves: smoother than attention, so that a block's mean value stands for it.
    private const double ValueLengthT = 2, ValueLengthY = 4, ValueLengthX = 6;

    /// <summary>Generates the Q, K, V slices of one (batch item, head).</summary>
    private sealed class HeadGenerator
    {
        private readonly VideoWorkloadOptions _options;
        private readonly WorkloadRandom _random;
        private readonly PositionalFeatures _attention;
        private readonly ValueWaves _values;
        private readonly int _sharedChannel; // the channel every query shares; sink and text keys load on it
        private readonly double _noise, _quarterRootD;

        public HeadGenerator(VideoWorkloadOptions options, int head, WorkloadRandom random)
        {
            _options = options;
            _random = random;
            int d = options.HeadDim;
            HeadPattern pattern = HeadPattern.For(head);
            // Per-axis jitter so that heads of one pattern still differ.
            double scale = options.LengthScale;
            pattern = pattern with
            {
                LengthT = pattern.LengthT * scale * Math.Exp(random.Uniform(-0.2, 0.2)),
                LengthY = pattern.LengthY * scale * Math.Exp(random.Uniform(-0.2, 0.2)),
                LengthX = pattern.LengthX * scale * Math.Exp(random.Uniform(-0.2, 0.2)),
            };
            // The positional pairs leave the last channel free for the shared direction: like the "massive activation"
            // channels of real transformers, it produces the sinks, and keeps their logit bonus independent of position.
            _attention = new PositionalFeatures(options.Grid, (d - 1) / 2, pattern, options.Sharpness, d, random);
            _sharedChannel = d - 1;
            _values = new ValueWaves(options.Grid, d, ValueLengthT * scale, ValueLengthY * scale, ValueLengthX * scale, random);
            _quarterRootD = Math.Pow(d, 0.25);
            _noise = options.ContentNoise;
        }

        public void Fill(Span<float> q, Span<float> k, Span<float> v, int[] sinks)
        {
            VideoGrid grid = _options.Grid;
            int d = _options.HeadDim, n = grid.TokenCount;
            var row = new double[d];
            for (int token = 0; token < n; token++)
            {
                var (t, y, x) = grid.CoordinatesOf(token);
                Positional(row, t, y, x);
                WriteQuery(q.Slice(token * d, d), row);
                WriteKey(k.Slice(token * d, d), row, bonus: 0);
                WriteValue(v.Slice(token * d, d), t, y, x);
            }
            foreach (int sink in sinks) k[sink * d + _sharedChannel] += (float)(_options.SinkStrength * _quarterRootD);

            int valid = _options.ValidTextCount;
            for (int i = 0; i < _options.TextTokens; i++)
            {
                int offset = (n + i) * d;
                if (i < valid)
                {
                    // A text query looks like a visual query at some position; its key favours nothing in particular
                    // but shares the common direction.
                    Positional(row, _random.NextInt(grid.Frames), _random.NextInt(grid.Height), _random.NextInt(grid.Width));
                    WriteQuery(q.Slice(offset, d), row);
                    Array.Clear(row);
                    WriteKey(k.Slice(offset, d), row, _options.TextStrength);
                    Noise(v.Slice(offset, d), 1);
                }
                else
                {
                    // Padding: unrelated noise that must never be attended to.
                    Noise(q.Slice(offset, d), 1);
                    Noise(k.Slice(offset, d), 1);
                    Noise(v.Slice(offset, d), 1);
                }
            }
        }

        private void Positional(double[] row, int t, int y, int x)
        {
            Array.Clear(row);
            _attention.Write(row, t, y, x);
        }

        private void WriteQuery(Span<float> q, double[] positional)
        {
            for (int i = 0; i < q.Length; i++)
                q[i] = (float)(positional[i] + _noise * _random.NextNormal() + (i == _sharedChannel ? _quarterRootD : 0));
        }

        private void WriteKey(Span<float> k, double[] positional, double bonus)
        {
            // The shared-direction term gives a logit bonus of about `bonus` against every query.
            for (int i = 0; i < k.Length; i++)
                k[i] = (float)(positional[i] + _noise * _random.NextNormal() + (i == _sharedChannel ? bonus * _quarterRootD : 0));
        }

        private void WriteValue(Span<float> v, int t, int y, int x)
        {
            double valueNoise = _options.ValueNoise;
            for (int i = 0; i < v.Length; i++)
                v[i] = (float)(_values.At(i, t, y, x) + valueNoise * _random.NextNormal());
        }

        private void Noise(Span<float> x, double scale)
        {
            for (int i = 0; i < x.Length; i++) x[i] = (float)(scale * _random.NextNormal());
        }
    }
}
