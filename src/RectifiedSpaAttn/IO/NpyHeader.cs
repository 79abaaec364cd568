using System.Buffers.Binary;
using System.Text;
using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.IO;

/// <summary>
/// The .npy preamble (<see href="https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html">format</see>):
/// the magic <c>\x93NUMPY</c>, a version, a little-endian header length (2 bytes in version 1.0, 4 in 2.0 and 3.0)
/// and a Python dict literal <c>{'descr': ..., 'fortran_order': ..., 'shape': (...), }</c> padded to 64 bytes.
/// </summary>
internal static class NpyHeader
{
    /// <summary>The six magic bytes every .npy file starts with.</summary>
    public static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Headers beyond this are refused: ours are well under 1 KiB, numpy refuses 10 KB by default.</summary>
    public const int MaxHeaderBytes = 1 << 20;

    /// <summary>numpy aligns the data to this many bytes.</summary>
    private const int Alignment = 64;

    /// <summary>numpy leaves room for the growth axis to reach this many digits, so headers can be rewritten in place.</summary>
    private const int GrowthAxisMaxDigits = 21;

    /// <summary>
    /// Interprets the header text: checks its keys and returns the dtype and shape, or throws a
    /// <see cref="TensorFormatException"/> saying exactly what is unsupported (big-endian, Fortran order, objects...).
    /// </summary>
    public static (ElementType Type, int[] Shape, long ElementCount) Interpret(string text, string? file)
    {
        Dictionary<string, object> dict;
        try
        {
            dict = PythonLiteral.ParseDict(text);
        }
        catch (FormatException e)
        {
            throw new TensorFormatException(file, $"the npy header is not a valid Python dict literal: {e.Message}", e);
        }
        string[] expected = ["descr", "fortran_order", "shape"];
        if (dict.Count != 3 || !expected.All(dict.ContainsKey))
            throw new TensorFormatException(file, $"the npy header has keys {{{string.Join(", ", dict.Keys.Select(k => $"'{k}'"))}}}; it must have exactly 'descr', 'fortran_order' and 'shape'");

        ElementType type = dict["descr"] switch
        {
            string descr => DTypeNames.TryParseNpy(descr, out ElementType t) is string problem ? throw new TensorFormatException(file, problem) : t,
            List<object> => throw new TensorFormatException(file, "the array has a structured (record) dtype; only plain numeric and bool arrays are supported"),
            var other => throw new TensorFormatException(file, $"the npy header's 'descr' must be a string, but is {Describe(other)}"),
        };
        switch (dict["fortran_order"])
        {
            case false: break;
            case true: throw new TensorFormatException(file, "the array is stored in Fortran (column-major) order; only C order is supported (save it with np.ascontiguousarray)");
            case var other: throw new TensorFormatException(file, $"the npy header's 'fortran_order' must be True or False, but is {Describe(other)}");
        }
        if (dict["shape"] is not List<object> items || !items.All(i => i is long))
            throw new TensorFormatException(file, $"the npy header's 'shape' must be a tuple of integers, but is {Describe(dict["shape"])}");
        if (items.Count > 64)
            throw new TensorFormatException(file, $"the npy shape has {items.Count} dimensions; at most 64 are supported");
        var dims = items.Cast<long>().ToList();
        if (TensorData.TryCountElements(dims, out long count) is string shapeProblem)
            throw new TensorFormatException(file, shapeProblem);
        return (type, dims.Select(d => (int)d).ToArray(), count);
    }

    /// <summary>
    /// The complete preamble numpy's <c>np.save</c> writes for a C-ordered array: version 1.0 unless the header
    /// needs more than 65535 bytes, keys sorted, room for the first axis to grow, padding to 64 bytes, newline.
    /// </summary>
    public static byte[] Format(string descr, ReadOnlySpan<int> shape)
    {
        var dict = new StringBuilder();
        dict.Append("{'descr': '").Append(descr).Append("', 'fortran_order': False, 'shape': (");
        for (int d = 0; d < shape.Length; d++)
        {
            if (d > 0) dict.Append(", ");
            dict.Append(shape[d]);
        }
        if (shape.Length == 1) dict.Append(','); // Python's one-element tuple
        dict.Append("), }");
        if (shape.Length > 0) dict.Append(' ', GrowthAxisMaxDigits - shape[0].ToString(System.Globalization.CultureInfo.InvariantCulture).Length);

        byte[] body = Encoding.ASCII.GetBytes(dict.ToString());
        // Version 1.0 (2-byte length) when the padded header fits in it, 2.0 (4-byte length) otherwise.
        int fieldBytes = 2;
        int headerLength = PaddedLength(body.Length, fieldBytes);
        if (headerLength > ushort.MaxValue) headerLength = PaddedLength(body.Length, fieldBytes = 4);
        int prefixBytes = Magic.Length + 2 + fieldBytes;
        int padding = headerLength - body.Length - 1;
        var result = new byte[prefixBytes + headerLength];
        Magic.CopyTo(result);
        result[6] = (byte)(fieldBytes == 2 ? 1 : 2);
        result[7] = 0;
        if (fieldBytes == 2) BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), (ushort)headerLength);
        else BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)headerLength);
        body.CopyTo(result, prefixBytes);
        result.AsSpan(prefixBytes + body.Length, padding).Fill((byte)' ');
        result[^1] = (byte)'\n';
        return result;
    }

    /// <summary>
    /// The header length after padding (spaces, then a newline) so that the data starts on a 64-byte boundary;
    /// as numpy does, there is always at least one space.
    /// </summary>
    private static int PaddedLength(int bodyBytes, int fieldBytes)
    {
        int unpadded = Magic.Length + 2 + fieldBytes + bodyBytes + 1;
        return bodyBytes + 1 + (Alignment - unpadded % Alignment);
    }

    private static string Describe(object value) => value switch
    {
        string s => $"the string '{s}'",
        bool b => b ? "True" : "False",
        long n => $"the integer {n}",
        List<object> list => $"a sequence of {list.Count} items",
        _ => value.GetType().Name,
    };
}
