using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.IO;

/// <summary>One tensor's header entry: dtype, shape and byte range relative to the start of the data buffer.</summary>
internal readonly record struct SafeTensorsEntry(string Name, ElementType Type, int[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
}
