#!/usr/bin/env bash
# make-fixtures.sh regenerates the PVK test fixtures in this directory with the
# openssl command line tool (OpenSSL 3.x; RC4 lives in its legacy provider).
#
#   cd internal/certs/pvk/testdata && ./make-fixtures.sh
#
# Every key is freshly generated, so rerunning it rewrites every file; commit the
# result. The tests read the passwords below from pvk_test.go, keep them in step.
#
# Files written:
#   rsa2048.pem                 RSA-2048 private key (PKCS#8 PEM), the reference
#   rsa2048-none.pvk            same key, PVK, not encrypted      (-pvk-none)
#   rsa2048-strong.pvk          same key, PVK, RC4-128            (-pvk-strong)
#   rsa2048-weak.pvk            same key, PVK, RC4-40             (-pvk-weak)
#   rsa1024.pem                 RSA-1024 private key
#   rsa1024-strong-utf8.pvk     RC4-128 under a non-ASCII (UTF-8) password
#   rsa1023.pem, rsa1023-none.pvk   odd modulus size: openssl writes bitlen 1023
#   rsa1000.pem, rsa1000-weak.pvk   bitlen a multiple of 8 but not of 16
#   dsa1024-none.pvk            a DSA key ("DSS2" blob), which the package rejects
#   dsa1024-strong.pvk          the same DSA key, RC4-128 (PVK requires a 160-bit q,
#                               which OpenSSL 3 no longer picks by default)
set -euo pipefail
cd "$(dirname "$0")"

PASS='signet-test-password'
PASS_UTF8='pässwörd-ключ'
ENC=(-provider legacy -provider default)

case "$(openssl version)" in
OpenSSL\ 3.*) ;;
*) echo "make-fixtures.sh: needs OpenSSL 3.x, found: $(openssl version)" >&2; exit 1 ;;
esac

rsa() { # rsa BITS -> rsaBITS.pem
	openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$1" -out "rsa$1.pem" 2>/dev/null
}
pvk() { # pvk IN.pem OUT.pvk ARGS... -> PVK file
	local in=$1 out=$2
	shift 2
	openssl rsa -in "$in" -outform PVK -out "$out" "$@" 2>/dev/null
}

rsa 2048
pvk rsa2048.pem rsa2048-none.pvk -pvk-none
pvk rsa2048.pem rsa2048-strong.pvk -pvk-strong -passout "pass:$PASS" "${ENC[@]}"
pvk rsa2048.pem rsa2048-weak.pvk -pvk-weak -passout "pass:$PASS" "${ENC[@]}"

rsa 1024
pvk rsa1024.pem rsa1024-strong-utf8.pvk -pvk-strong -passout "pass:$PASS_UTF8" "${ENC[@]}"

rsa 1023
pvk rsa1023.pem rsa1023-none.pvk -pvk-none

rsa 1000
pvk rsa1000.pem rsa1000-weak.pvk -pvk-weak -passout "pass:$PASS" "${ENC[@]}"

openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:1024 -pkeyopt dsa_paramgen_q_bits:160 -out dsa.params 2>/dev/null
openssl genpkey -paramfile dsa.params -out dsa1024.pem 2>/dev/null
openssl dsa -in dsa1024.pem -outform PVK -out dsa1024-none.pvk -pvk-none 2>/dev/null
openssl dsa -in dsa1024.pem -outform PVK -out dsa1024-strong.pvk -pvk-strong -passout "pass:$PASS" "${ENC[@]}" 2>/dev/null
rm -f dsa.params dsa1024.pem

# Check that openssl reads back what it wrote, so a broken fixture fails here.
for f in rsa2048-none.pvk rsa2048-strong.pvk rsa2048-weak.pvk rsa1000-weak.pvk rsa1023-none.pvk; do
	openssl rsa -inform PVK -in "$f" -passin "pass:$PASS" "${ENC[@]}" -check -noout >/dev/null
done
openssl rsa -inform PVK -in rsa1024-strong-utf8.pvk -passin "pass:$PASS_UTF8" "${ENC[@]}" -check -noout >/dev/null
echo "make-fixtures.sh: fixtures written to $(pwd)"
