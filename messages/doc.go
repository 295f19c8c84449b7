// Package messages holds gomgr's typed messages: Ceph's message type ids and
// their payload encodings, in Ceph's little-endian denc style.
//
// What it owns:
//
//   - denc.go: Encoder (appends to a []byte) and Decoder (reads a []byte,
//     sticky error, bounds-checked, never panics, never allocates more than
//     the input still holds) with Ceph's primitives, entity_addr_t and
//     entity_addrvec_t in their denc forms, and ENCODE_START/DECODE_START
//     (StartStruct/FinishStruct), which skips what newer struct versions
//     append.
//   - visitor.go: Denc, the one pass over a value's fields in Ceph's denc
//     style (DENC_START/DENC_FINISH as Start and Finish, DencSlice, DencMap,
//     DencSet for the containers). Each type lists its fields once, in a
//     denc method that encodes over an Encoder and decodes over a Decoder;
//     EncodeTo/DecodeFrom, Encode/Decode, Marshal/Parse are thin wrappers
//     around it. Version-dependent fields test the Struct's V (or the
//     message header version), which when encoding is the version written;
//     what only one direction does (derived fields, defaults for old
//     versions) asks Denc.Decoding. Encoding never writes through the
//     field pointers. The visitor allocates nothing per field; DencMap
//     costs one scratch entry per non-empty map.
//   - message.go: the Payload interface, Encode and Decode (dispatch on the
//     message type), the PaxosServiceMessage header, and RawStruct, a
//     versioned struct carried without being interpreted.
//   - one type per message, following Ceph's encode_payload/decode_payload
//     field for field. Every one of them re-encodes the messages of a real
//     pacific session (../shared/ceph-wire) byte for byte. Each names its
//     fields once, in its denc method.
//
// MonMap, MgrMap and ServiceMap (servicemap.go), the PG statistics
// structs (pgstat.go: pg_stat_t, osd_stat_t, pool_stat_t, object_stat_sum_t,
// store_statfs_t, PGMapDigest) and the OSD perf metric queries and reports
// of MMgrConfigure and MMgrReport (perfquery.go) are encoded exactly as
// Ceph 16.2 does. Where
// Ceph's payload is a large binary map gomgr does not reproduce (OSDMap,
// FSMap, OSDSuperblock), the message keeps Ceph's layout around it: Ceph's
// binary map decodes into the same fields as opaque bytes, and between
// gomgr processes that negotiated it the map travels in "JSON struct form",
// a struct with version and compat 200 whose body is JSON in the shape of
// Ceph's `-f json` output.
//
// Goroutines: nothing here starts a goroutine or holds state between calls.
// Encoder, Decoder and Denc values belong to the goroutine using them; payload
// values are plain data, safe to share once no one writes them. Decode
// returns payloads whose byte slices alias the message's Data segment
// (never its Front), so keep the message unchanged while using them.
package messages
