/*
 * change-password/strength.c - a password's strength on SnappyMail's
 * 0..100 scale (pass_min_strength), from an estimate of its entropy.
 *
 * Bits = effective length x log2(size of the character classes used),
 * where repeated characters count for less (the effective length is at
 * most twice the number of distinct characters), and 1.25 points per bit
 * (so 48 bits, e.g. 9 random characters of all classes, make 60).
 * It is an estimate against blind guessing, not a dictionary check.
 */
#include <math.h>
#include <string.h>

#include "change_password.h"

int
cp_strength(const char *password)
{
	bool lower = false, upper = false, digit = false, other = false,
	     high = false;
	bool seen[256] = {false};
	size_t len = strlen(password), distinct = 0, i;
	double pool = 0, bits, eff;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)password[i];

		if (!seen[c]) {
			seen[c] = true;
			distinct++;
		}
		if (c >= 'a' && c <= 'z')
			lower = true;
		else if (c >= 'A' && c <= 'Z')
			upper = true;
		else if (c >= '0' && c <= '9')
			digit = true;
		else if (c >= 0x80)
			high = true;
		else
			other = true;
	}
	pool = (lower ? 26 : 0) + (upper ? 26 : 0) + (digit ? 10 : 0) +
	       (other ? 33 : 0) + (high ? 100 : 0);
	if (pool < 2)
		return 0;
	eff = (double)(len < 2 * distinct ? len : 2 * distinct);
	bits = eff * log2(pool);
	return bits * 1.25 >= 100 ? 100 : (int)(bits * 1.25);
}
