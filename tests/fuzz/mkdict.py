# tests/fuzz/mkdict.py — writes the scenario harness dictionary (see seeds.sh --dict).
import re,sys
words=set()
vocab=open('runtime/vocab.c').read()
# string literals that are names (not descriptions): short, no spaces
for m in re.finditer(r'"([^"\\\n]{1,48})"', vocab):
    w=m.group(1)
    if ' ' not in w and '%' not in w: words.add(w)
doc=open('docs/scenarios.md').read()
for m in re.finditer(r'`([A-Za-z][A-Za-z0-9_.-]*)(:?)`', doc):
    words.add(m.group(1))
# keys in the YAML examples of the guide: "  key:" at a line start
for m in re.finditer(r'^\s*-?\s*([a-z][a-z0-9_.-]*):', doc, re.M):
    words.add(m.group(1))
for w in list(words):
    if '.' in w and ' ' not in w:
        words.update(p for p in w.split('.') if p)
# duration units and YAML punctuation the grammar uses
extra=['500ms','2s','10min','1h','250us',': ','- ','\n  ','{','}','[',']','&a','*a','<<','!!str','"','true','false','null','---','...','~','0x10','-1','9223372036854775807','1e9']
out=['# tests/fuzz/scenario.dict — libFuzzer dictionary of the scenario language:',
     '# every name of runtime/vocab.c (modes, mutants, crash points, faults, events)',
     '# and every key and value written in docs/scenarios.md, as keys and values.',
     '# Regenerate with: bash tests/fuzz/seeds.sh --dict']
for w in sorted(words):
    e=w.replace('\\','\\\\').replace('"','\\"')
    out.append('"%s"' % e)
    if re.fullmatch(r'[a-z][a-z0-9_.-]*', w): out.append('"%s: "' % e)
for w in extra:
    e=w.replace('\\','\\\\').replace('"','\\"').replace('\n','\\x0a')
    out.append('"%s"' % e)
seen=set(); res=[]
for l in out:
    if l not in seen: seen.add(l); res.append(l)
open(sys.argv[1],'w').write('\n'.join(res)+'\n')
