#!/usr/bin/env bash
# make-fixtures.sh writes the encrypted PKCS#8 fixtures that pkcs8_test.go
# reads, each beside the unencrypted key it must decrypt to. It needs
# OpenSSL 3 (with the legacy provider, for the refused RC2 and MD5 schemes)
# and rewrites every .pem file here with new random keys:
#
#	cd internal/certs/pkcs8/testdata && ./make-fixtures.sh
#
# The passwords below are repeated in pkcs8_test.go. OpenSSL's defaults
# (PBKDF2-HMAC-SHA256 for -v2, 2048 iterations) are what the files test, so
# no -iter is given.
set -euo pipefail
cd "$(dirname "$0")"

pass='correct horse battery staple'
# Non-ASCII, with a character outside the BMP, to test the UTF-8 to
# BMPString conversion of the PKCS#12 scheme.
utf8pass='pässwörd-€-𝄞'

openssl version | grep -q '^OpenSSL 3' || { echo "need OpenSSL 3, have: $(openssl version)" >&2; exit 1; }
rm -f ./*.pem

# Unencrypted keys, as PKCS#8 "PRIVATE KEY" PEM.
openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem
openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem
openssl genpkey -quiet -algorithm ED25519 -out ed25519.pem

topk8() { # topk8 KEY NAME PASSWORD OPENSSL-ARGS...
	local key=$1 name=$2 pw=$3
	shift 3
	openssl pkcs8 -topk8 -in "$key.pem" -out "$key-$name.pem" -passout "pass:$pw" "$@"
}

for key in rsa ec; do
	topk8 $key aes256 "$pass" -v2 aes-256-cbc
	topk8 $key aes128-sha1 "$pass" -v2 aes-128-cbc -v2prf hmacWithSHA1
	topk8 $key des3 "$pass" -v2 des3
	topk8 $key pbe-sha1-3des "$pass" -v1 PBE-SHA1-3DES
done
topk8 ed25519 aes192-sha512 "$pass" -v2 aes-192-cbc -v2prf hmacWithSHA512
topk8 ec aes256-sha384 "$pass" -v2 aes-256-cbc -v2prf hmacWithSHA384
topk8 ec aes128-sha224 "$pass" -v2 aes-128-cbc -v2prf hmacWithSHA224
topk8 ec aes256-utf8 "$utf8pass" -v2 aes-256-cbc
topk8 ec pbe-sha1-3des-utf8 "$utf8pass" -v1 PBE-SHA1-3DES
topk8 ec aes256-empty "" -v2 aes-256-cbc
topk8 ec pbe-sha1-3des-empty "" -v1 PBE-SHA1-3DES

# genpkey encrypting as it generates (PBES2, AES-256-CBC, HMAC-SHA256), and
# the same key decrypted by OpenSSL for comparison.
for alg in rsa ec; do
	case $alg in
	rsa) opts=(-algorithm RSA -pkeyopt rsa_keygen_bits:2048) ;;
	ec) opts=(-algorithm EC -pkeyopt ec_paramgen_curve:P-384) ;;
	esac
	openssl genpkey -quiet "${opts[@]}" -aes256 -pass "pass:$pass" -out "genpkey-$alg-aes256.pem"
	openssl pkey -in "genpkey-$alg-aes256.pem" -passin "pass:$pass" -out "genpkey-$alg.pem"
done

# Schemes Decrypt refuses, for the error path.
legacy=(-provider legacy -provider default)
topk8 ec pbe-sha1-rc2-40 "$pass" -v1 PBE-SHA1-RC2-40 "${legacy[@]}"
topk8 ec pbe-md5-des "$pass" -v1 PBE-MD5-DES "${legacy[@]}"
topk8 ec scrypt "$pass" -scrypt

ls ./*.pem
