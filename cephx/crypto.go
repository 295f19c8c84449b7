package cephx

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"gomgr/messages"
)

// cryptoAES is CEPH_CRYPTO_AES, the only key type cephx uses.
const cryptoAES = 1

// aesIV is CEPH_AES_IV: cephx uses one fixed IV for every AES-CBC
// encryption (the plaintexts begin with random challenges or nonces).
var aesIV = []byte("cephsageyudagreg")

// encMagic is AUTH_ENC_MAGIC, checked after every decryption.
const encMagic = 0xff009cad8826aa55

// Key is Ceph's CryptoKey: an AES-128 secret and when it was made.
type Key struct {
	Created messages.Utime
	Secret  []byte // 16 bytes
}

// NewKey makes a random key, as ceph-authtool --gen-key does.
func NewKey() (Key, error) {
	k := Key{Secret: make([]byte, 16), Created: utimeOf(time.Now())}
	if _, err := rand.Read(k.Secret); err != nil {
		return Key{}, fmt.Errorf("cephx: new key: %w", err)
	}
	return k, nil
}

// ParseKey reads a key as keyrings hold it: the base64 of its encoding.
func ParseKey(s string) (Key, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return Key{}, fmt.Errorf("%w: key is not base64: %v", ErrBadKey, err)
	}
	d := messages.NewDecoder(b)
	k := decodeKey(d)
	if err := d.Err(); err != nil {
		return Key{}, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	if !d.Done() {
		return Key{}, fmt.Errorf("%w: %d bytes after the key", ErrBadKey, d.Remaining())
	}
	return k, nil
}

// String is the key as keyrings hold it.
func (k Key) String() string {
	e := messages.NewEncoder(nil)
	k.encode(e)
	return base64.StdEncoding.EncodeToString(e.Bytes())
}

// Valid reports whether k holds an AES-128 secret.
func (k Key) Valid() bool { return len(k.Secret) == 16 }

func (k Key) encode(e *messages.Encoder) {
	e.U16(cryptoAES)
	e.Utime(k.Created)
	e.U16(uint16(len(k.Secret)))
	e.Raw(k.Secret)
}

func decodeKey(d *messages.Decoder) Key {
	typ := d.U16()
	k := Key{Created: d.Utime()}
	n := int(d.U16())
	k.Secret = bytes.Clone(d.Raw(n))
	if d.Err() == nil && (typ != cryptoAES || n != 16) {
		d.Fail(fmt.Errorf("%w: type %d, %d bytes (want AES, 16)", ErrBadKey, typ, n))
	}
	return k
}

// encrypt is CryptoAES's encrypt: AES-128-CBC, PKCS#7 padding.
func (k Key) encrypt(plain []byte) ([]byte, error) {
	if !k.Valid() {
		return nil, fmt.Errorf("%w: no AES-128 secret", ErrBadKey)
	}
	block, err := aes.NewCipher(k.Secret)
	if err != nil {
		return nil, fmt.Errorf("cephx: %w", err)
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	out := make([]byte, len(plain)+pad)
	copy(out, plain)
	for i := len(plain); i < len(out); i++ {
		out[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, aesIV).CryptBlocks(out, out)
	return out, nil
}

// decrypt undoes encrypt, checking the padding.
func (k Key) decrypt(enc []byte) ([]byte, error) {
	if !k.Valid() {
		return nil, fmt.Errorf("%w: no AES-128 secret", ErrBadKey)
	}
	if len(enc) == 0 || len(enc)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: %d bytes is not whole AES blocks", ErrDecrypt, len(enc))
	}
	block, err := aes.NewCipher(k.Secret)
	if err != nil {
		return nil, fmt.Errorf("cephx: %w", err)
	}
	out := make([]byte, len(enc))
	cipher.NewCBCDecrypter(block, aesIV).CryptBlocks(out, enc)
	pad := int(out[len(out)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, fmt.Errorf("%w: bad padding (wrong key?)", ErrDecrypt)
	}
	for _, b := range out[len(out)-pad:] {
		if int(b) != pad {
			return nil, fmt.Errorf("%w: bad padding (wrong key?)", ErrDecrypt)
		}
	}
	return out[:len(out)-pad], nil
}

// sealRaw is encode_encrypt_enc_bl: v1, the magic, the body, encrypted.
func (k Key) sealRaw(body func(e *messages.Encoder)) ([]byte, error) {
	e := messages.NewEncoder(nil)
	e.U8(1)
	e.U64(encMagic)
	body(e)
	return k.encrypt(e.Bytes())
}

// seal is encode_encrypt: sealRaw's bytes as a bufferlist.
func (k Key) seal(e *messages.Encoder, body func(e *messages.Encoder)) error {
	enc, err := k.sealRaw(body)
	if err != nil {
		return err
	}
	e.Bufferlist(enc)
	return nil
}

// openRaw is decode_decrypt_enc_bl: decrypt, check the magic, and return
// a decoder positioned at the body.
func (k Key) openRaw(enc []byte) (*messages.Decoder, error) {
	plain, err := k.decrypt(enc)
	if err != nil {
		return nil, err
	}
	d := messages.NewDecoder(plain)
	d.U8()
	if m := d.U64(); d.Err() != nil || m != encMagic {
		return nil, fmt.Errorf("%w: bad magic (wrong key?)", ErrDecrypt)
	}
	return d, nil
}

// open is decode_decrypt: a bufferlist read from d, then openRaw.
func (k Key) open(d *messages.Decoder) (*messages.Decoder, error) {
	enc := d.Bufferlist()
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return k.openRaw(enc)
}

func utimeOf(t time.Time) messages.Utime {
	return messages.Utime{Sec: uint32(t.Unix()), Nsec: uint32(t.Nanosecond())}
}

func timeOf(u messages.Utime) time.Time { return time.Unix(int64(u.Sec), int64(u.Nsec)) }
