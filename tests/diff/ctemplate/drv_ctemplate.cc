// Differential driver, reference side: expand one case with the C++
// libctemplate and print "OK\n" + the output, or "ERROR\n".
#include <cstdio>
#include <cstring>
#include <string>

#include <ctemplate/template.h>
#include <ctemplate/template_modifiers.h>

#include "diffcase.h"

namespace {

class Upper : public ctemplate::TemplateModifier {
	void Modify(const char *in, size_t inlen,
		    const ctemplate::PerExpandData *, ctemplate::ExpandEmitter *out,
		    const std::string &) const override
	{
		for (size_t i = 0; i < inlen; i++) {
			char c = in[i];
			out->Emit(c >= 'a' && c <= 'z' ? (char)(c - 32) : c);
		}
	}
};

Upper upper;

int error()
{
	std::fputs("ERROR\n", stdout);
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	static diffcase c;
	ctemplate::TemplateDictionary *stack[64];
	size_t sp = 0;

	if (argc != 2 || diffcase_load(argv[1], &c) < 0)
		return 2;
	ctemplate::AddModifier("x-upper", &upper);
	ctemplate::AddXssSafeModifier("x-safe", &upper);
	ctemplate::Strip strip = c.strip == 0 ? ctemplate::DO_NOT_STRIP
				 : c.strip == 1 ? ctemplate::STRIP_BLANK_LINES
						: ctemplate::STRIP_WHITESPACE;
	for (size_t i = 0; i < c.nfiles; i++)
		if (!ctemplate::StringToTemplateCache(
			    c.fname[i].p,
			    ctemplate::TemplateString(c.ftext[i].p, c.ftext[i].len),
			    strip))
			return error();
	ctemplate::TemplateDictionary root("root");
	stack[0] = &root;
	for (size_t i = 0; i < c.nops; i++) {
		const diffcase_op *op = &c.ops[i];
		ctemplate::TemplateString v(op->b.p, op->b.len);
		std::string name(op->a.p, op->a.len);

		if (!std::strcmp(op->op, "set")) {
			stack[sp]->SetValue(name, v);
		} else if (!std::strcmp(op->op, "global")) {
			ctemplate::TemplateDictionary::SetGlobalValue(name, v);
		} else if (!std::strcmp(op->op, "tglobal")) {
			stack[sp]->SetTemplateGlobalValue(name, v);
		} else if (!std::strcmp(op->op, "show")) {
			stack[sp]->ShowSection(name);
		} else if (!std::strcmp(op->op, "tshow")) {
			stack[sp]->ShowTemplateGlobalSection(name);
		} else if (!std::strcmp(op->op, "section") && sp < 63) {
			stack[sp + 1] = stack[sp]->AddSectionDictionary(name);
			sp++;
		} else if (!std::strcmp(op->op, "include") && sp < 63) {
			stack[sp + 1] = stack[sp]->AddIncludeDictionary(name);
			if (op->b.len)
				stack[sp + 1]->SetFilename(std::string(op->b.p, op->b.len));
			sp++;
		} else if (!std::strcmp(op->op, "end") && sp > 0) {
			sp--;
		} else {
			std::fprintf(stderr, "bad op %s\n", op->op);
			return 2;
		}
	}
	std::string out;
	if (!ctemplate::ExpandTemplate(c.fname[0].p, strip, &root, &out))
		return error();
	std::fputs("OK\n", stdout);
	std::fwrite(out.data(), 1, out.size(), stdout);
	return 0;
}
