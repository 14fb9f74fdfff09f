"""Shows that template.yaml deploys what it did at an earlier commit.

For a change meant to rewrite the template without changing the stack (such
as moving repeated resources into an Fn::ForEach loop): both versions are
expanded as CloudFormation expands them (expand.py) and compared section by
section, resource by resource, property by property. Two spellings of one
value count as the same: an `Fn::FindInMap` of literal keys and the mapped
value, and an `Fn::Sub` variable given a literal and that literal written in
the string (`!Sub [".${B}", {B: b}]` is `!Sub ".b"`, and an `Fn::Sub` with
nothing left to substitute is its string). Comments, layout and order are not
compared; the Mappings the new version adds are listed, not compared, and so
are differences in the linters' settings (a resource's `Metadata` for
cfn-lint and checkov), which change no resource.

Usage: same_template.py REV   (e.g. main, HEAD~1). Exits 1 naming each
difference.
"""

import json
import re
import subprocess
import sys

import expand

LINTER_METADATA = re.compile(r"^Resources/[^/]+/Metadata/(cfn-lint|checkov)(/|\[|:|$)")
SECTIONS = ("Parameters", "Conditions", "Globals", "Resources", "Outputs", "Metadata", "Transform")


def normalize(node, mappings):
    if isinstance(node, list):
        return [normalize(item, mappings) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: normalize(value, mappings) for key, value in node.items()}
    if set(node) == {"Fn::FindInMap"}:
        keys = node["Fn::FindInMap"]
        if len(keys) == 3 and all(isinstance(key, str) for key in keys):
            return mappings[keys[0]][keys[1]][keys[2]]
    if set(node) == {"Fn::Sub"}:
        argument = node["Fn::Sub"]
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        literal = {name: value for name, value in variables.items() if isinstance(value, str)}
        text = re.sub(r"\$\{([^!}][^}]*)\}", lambda m: literal.get(m.group(1), m.group(0)), text)
        rest = {name: value for name, value in variables.items() if name not in literal}
        if rest:
            return {"Fn::Sub": [text, rest]}
        if re.search(r"\$\{[^!]", text):
            return {"Fn::Sub": text}
        return text.replace("${!", "${")
    return node


def differences(old, new, where):
    if type(old) is not type(new):
        return [f"{where}: {json.dumps(old)} became {json.dumps(new)}"]
    if isinstance(old, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            if key not in new:
                found.append(f"{where}/{key}: removed")
            elif key not in old:
                found.append(f"{where}/{key}: added")
            else:
                found.extend(differences(old[key], new[key], f"{where}/{key}"))
        return found
    if isinstance(old, list) and len(old) == len(new):
        return [d for i, (a, b) in enumerate(zip(old, new)) for d in differences(a, b, f"{where}[{i}]")]
    return [] if old == new else [f"{where}: {json.dumps(old)} became {json.dumps(new)}"]


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__.split("\n\n")[-1])
    text = subprocess.run(
        ["git", "show", f"{argv[1]}:template.yaml"], cwd=expand.ROOT, check=True, capture_output=True, text=True
    ).stdout
    old = expand.expand(expand.load(text))
    new = expand.expanded_template()
    old = normalize(old, old.get("Mappings", {}))
    new = normalize(new, new.get("Mappings", {}))
    found = []
    for section in SECTIONS:
        found.extend(differences(old.get(section), new.get(section), section))
    linters = [difference for difference in found if LINTER_METADATA.match(difference)]
    found = [difference for difference in found if difference not in linters]
    added = sorted(set(new.get("Mappings", {})) - set(old.get("Mappings", {})))
    changed = [m for m in old.get("Mappings", {}) if old["Mappings"][m] != new.get("Mappings", {}).get(m)]
    found.extend(f"Mappings/{m}: changed or removed" for m in changed)
    resources = len(new.get("Resources", {}))
    if found:
        print(f"template.yaml differs from {argv[1]}:")
        for difference in found:
            print(f"  - {difference}")
        sys.exit(1)
    print(
        f"template.yaml deploys what {argv[1]} did: {resources} resources, {len(new.get('Outputs', {}))} outputs, "
        f"{len(new.get('Parameters', {}))} parameters and {len(new.get('Conditions', {}))} conditions the same"
        + (f"; mappings added: {', '.join(added)}" if added else "")
        + "."
    )
    for difference in linters:
        print(f"  linter settings: {difference}")


if __name__ == "__main__":
    main(sys.argv)
