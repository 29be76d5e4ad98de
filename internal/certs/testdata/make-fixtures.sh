#!/usr/bin/env bash
# Makes the certificate and key fixtures of internal/certs with OpenSSL 3
# (tested with 3.0). Run it from this directory; it overwrites the fixtures.
# Every password is "test-password" unless the name says otherwise.
set -euo pipefail
cd "$(dirname "$0")"
PW=test-password
legacy=(-provider legacy -provider default)

# An RSA-2048 key and a self-signed certificate, in every format.
openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa-pkcs8.pem -out rsa.crt \
  -subj "/C=US/O=Contoso/CN=rsa-fixture" -days 36500 \
  -addext "keyUsage=critical,digitalSignature" 2>/dev/null
openssl x509 -in rsa.crt -outform DER -out rsa.cer
openssl rsa -in rsa-pkcs8.pem -traditional -out rsa-pkcs1.pem 2>/dev/null
openssl rsa -in rsa-pkcs8.pem -traditional -aes256 -passout pass:$PW -out rsa-pkcs1-encrypted.pem 2>/dev/null
openssl pkcs8 -topk8 -in rsa-pkcs8.pem -v2 aes-256-cbc -passout pass:$PW -out rsa-pkcs8-encrypted.pem
openssl pkcs8 -topk8 -in rsa-pkcs8.pem -nocrypt -outform DER -out rsa-pkcs8.der
cat rsa-pkcs8.pem rsa.crt > rsa-bundle.pem

# PKCS#12 as OpenSSL 3 writes it by default (AES-256-CBC, PBKDF2, SHA-256 MAC),
# with -legacy (RC2-40 certificates, 3DES key, SHA-1 MAC), with -descert,
# with an empty password, without any protection, and without the key.
openssl pkcs12 -export -inkey rsa-pkcs8.pem -in rsa.crt -passout pass:$PW -out rsa-openssl3.pfx
openssl pkcs12 -export -legacy -inkey rsa-pkcs8.pem -in rsa.crt -passout pass:$PW -out rsa-legacy.pfx
openssl pkcs12 -export -descert -inkey rsa-pkcs8.pem -in rsa.crt -passout pass:$PW -out rsa-3des.pfx
openssl pkcs12 -export -inkey rsa-pkcs8.pem -in rsa.crt -passout pass: -out rsa-emptypassword.pfx
openssl pkcs12 -export -inkey rsa-pkcs8.pem -in rsa.crt -passout pass: -keypbe NONE -certpbe NONE -nomac -out rsa-unprotected.pfx
openssl pkcs12 -export -nokeys -in rsa.crt -passout pass:$PW -out rsa-certonly.pfx

# PVK, as openssl rsa -outform PVK writes it: RC4-128, RC4-40 and unencrypted.
openssl rsa -in rsa-pkcs8.pem -outform PVK -pvk-strong -passout pass:$PW -out rsa-strong.pvk "${legacy[@]}" 2>/dev/null
openssl rsa -in rsa-pkcs8.pem -outform PVK -pvk-weak -passout pass:$PW -out rsa-weak.pvk "${legacy[@]}" 2>/dev/null
openssl rsa -in rsa-pkcs8.pem -outform PVK -pvk-none -out rsa-none.pvk 2>/dev/null

# An EC P-256 key in SEC1 and PKCS#8, with its certificate and a PFX.
openssl ecparam -name prime256v1 -genkey -noout -out ec-sec1.pem
openssl pkcs8 -topk8 -nocrypt -in ec-sec1.pem -out ec-pkcs8.pem
openssl req -x509 -new -key ec-sec1.pem -out ec.crt -subj "/CN=ec-fixture" -days 36500 2>/dev/null
openssl pkcs12 -export -inkey ec-sec1.pem -in ec.crt -passout pass:$PW -out ec-openssl3.pfx

# A chain: a CA and a leaf it issued, in one PFX (leaf first, as openssl writes).
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -subj "/CN=fixture CA" -days 36500 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj "/CN=leaf-fixture" 2>/dev/null
openssl x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out leaf.crt -days 36500 2>/dev/null
openssl pkcs12 -export -inkey leaf.key -in leaf.crt -certfile ca.crt -passout pass:$PW -out chain.pfx
rm -f leaf.csr ca.srl ca.key

# Certificates that cannot sign tokens: RSA-1024, and key usage keyEncipherment
# only (what makecert -sky exchange with a key usage extension gives).
openssl req -x509 -newkey rsa:1024 -nodes -keyout weak.key -out weak.crt -subj "/CN=weak-fixture" -days 36500 2>/dev/null
openssl pkcs12 -export -inkey weak.key -in weak.crt -passout pass:$PW -out rsa1024.pfx
openssl req -x509 -newkey rsa:2048 -nodes -keyout exch.key -out exch.crt -subj "/CN=exchange-fixture" -days 36500 \
  -addext "keyUsage=critical,keyEncipherment" 2>/dev/null
openssl pkcs12 -export -inkey exch.key -in exch.crt -passout pass:$PW -out exchange-only.pfx
rm -f weak.key weak.crt exch.key exch.crt

# Encrypted, but without a MAC (-nomac): go-pkcs12 cannot read it; Signet says so.
openssl pkcs12 -export -nomac -inkey rsa-pkcs8.pem -in rsa.crt -passout pass:$PW -out rsa-nomac.pfx

# BER, as NSS's pk12util writes PKCS#12 (indefinite lengths and OCTET STRINGs
# in pieces, at every level): its defaults (PBES2, AES, SHA-256 MAC, 600000
# iterations), and RC2-40 certificates, a 3DES key and a SHA-1 MAC. Needs
# certutil and pk12util (Debian: apt-get install libnss3-tools).
nssdb=$(mktemp -d)
certutil -N -d "sql:$nssdb" --empty-password
pk12util -i rsa-openssl3.pfx -d "sql:$nssdb" -W $PW >/dev/null
nick="rsa-fixture - Contoso" # what pk12util names it after the subject
pk12util -o rsa-nss.p12 -n "$nick" -d "sql:$nssdb" -W $PW >/dev/null
pk12util -o rsa-nss-legacy.p12 -n "$nick" -d "sql:$nssdb" -W $PW -M SHA-1 \
  -c "PKCS #12 V2 PBE With SHA-1 And 3KEY Triple DES-CBC" -C "PKCS #12 V2 PBE With SHA-1 And 40 Bit RC2 CBC" >/dev/null
rm -rf "$nssdb"

# Certificates encrypted with 128-bit RC2 (-certpbe PBE-SHA1-RC2-128).
openssl pkcs12 -export -legacy -certpbe PBE-SHA1-RC2-128 -inkey rsa-pkcs8.pem -in rsa.crt -passout pass:$PW -out rsa-rc2-128.pfx
