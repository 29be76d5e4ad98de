package pkcs8_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/signetid/signet/internal/certs/pkcs8"
)

func ExampleDecrypt() {
	data, err := os.ReadFile("testdata/ec-aes256.pem")
	if err != nil {
		log.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != pkcs8.PEMType {
		log.Fatal("no ENCRYPTED PRIVATE KEY block")
	}

	_, err = pkcs8.Decrypt(block.Bytes, []byte("guess"))
	fmt.Println(errors.Is(err, pkcs8.ErrWrongPassword))

	der, err := pkcs8.Decrypt(block.Bytes, []byte("correct horse battery staple"))
	if err != nil {
		log.Fatal(err)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%T\n", key)
	// Output:
	// true
	// *ecdsa.PrivateKey
}

func ExampleEncrypt() {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		log.Fatal(err)
	}
	encrypted, err := pkcs8.Encrypt(der, []byte("correct horse battery staple"), nil)
	if err != nil {
		log.Fatal(err)
	}
	// Write this to a file with mode 0600.
	_ = pem.EncodeToMemory(&pem.Block{Type: pkcs8.PEMType, Bytes: encrypted})

	fmt.Println(pkcs8.Describe(encrypted))
	// Output:
	// PBES2 (PBKDF2-HMAC-SHA256, 600000 iterations, AES-256-CBC) <nil>
}

func ExampleDescribe() {
	for _, name := range []string{"testdata/rsa-pbe-sha1-3des.pem", "testdata/ec-pbe-sha1-rc2-40.pem"} {
		data, err := os.ReadFile(name)
		if err != nil {
			log.Fatal(err)
		}
		block, _ := pem.Decode(data)
		desc, err := pkcs8.Describe(block.Bytes)
		if err != nil {
			fmt.Println(errors.Is(err, pkcs8.ErrUnsupported), err)
			continue
		}
		fmt.Println(desc)
	}
	// Output:
	// PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC (SHA-1 KDF, 2048 iterations, DES-EDE3-CBC)
	// true unsupported private key encryption: the key is encrypted with the encryption scheme pbeWithSHAAnd40BitRC2-CBC (PKCS#12 PBE with 40-bit RC2), which Signet does not read; re-encrypt it with: openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -iter 600000 -provider legacy -provider default -in old.pem -out new.pem
}
