"""template.yaml as CloudFormation sees it after AWS::LanguageExtensions.

template.yaml writes the resources every function has once, in an
`Fn::ForEach` loop, under the AWS::LanguageExtensions transform that
CloudFormation runs before the SAM transform. Whatever reads the template
(deploy_to_moto.py, lint_iam.py, check_chat.py, checkov in `make lint`,
tests/iam.rs and tests/defaults.rs) reads it expanded, from here:

- `Fn::ForEach` is expanded by SAM CLI's own implementation of the transform
  (samcli.lib.cfn_language_extensions: its template parser and ForEach
  processor), not by code of ours;
- what the transform does besides, and SAM CLI's local expansion does not, is
  done here: a `Ref` or `Fn::GetAtt` whose resource name is a `Fn::Sub` that
  the loop has made a literal (`{Ref: !Sub "${Name}Function"}`) names that
  resource, and AWS::LanguageExtensions leaves the template's `Transform`;
- nothing else is resolved. SAM CLI's full local expansion (`sam build
  --language-extensions`) would also put parameter defaults in place of every
  `Ref`, decide every `Fn::If` on those defaults and turn `!Sub` strings into
  plain text; the checks need the template as written: both branches of each
  `Fn::If`, the parameters deployed with, the `Fn::Sub`s.

CloudFormation replaces the loop identifier in keys, in `Fn::Sub` strings and
in `Ref: <identifier>` only, where SAM CLI's expansion replaces it in every
string; so a `${Name}` anywhere else in a loop body is refused here, or the
checks would pass a template that CloudFormation expands otherwise.

Usage: expand.py [TEMPLATE | -]   (default template.yaml; - reads stdin)
Prints the expanded template as JSON.
"""

import json
import re
import sys
from pathlib import Path

import yaml
from samcli.lib.cfn_language_extensions.api import create_default_intrinsic_resolver
from samcli.lib.cfn_language_extensions.models import ResolutionMode, TemplateProcessingContext
from samcli.lib.cfn_language_extensions.pipeline import ProcessingPipeline
from samcli.lib.cfn_language_extensions.processors import ForEachProcessor, TemplateParsingProcessor

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
FOREACH = "Fn::ForEach::"


class ExpandError(Exception):
    pass


def cfn_yaml_loader():
    """A YAML loader that reads CloudFormation's short-form tags (!Ref, !Sub, ...)."""

    class Loader(yaml.SafeLoader):
        pass

    def construct(loader, tag_suffix, node):
        name = tag_suffix if tag_suffix in ("Ref", "Condition") else "Fn::" + tag_suffix
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if tag_suffix == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    Loader.add_multi_constructor("!", construct)
    return Loader


def load(text):
    return yaml.load(text, Loader=cfn_yaml_loader())


def check_identifiers(node, identifiers, where, in_sub=False):
    """Refuses a loop identifier in a string CloudFormation does not substitute."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.startswith(FOREACH) and isinstance(value, list) and len(value) == 3:
                check_identifiers(value[2], identifiers | {value[0]}, f"{where}/{key}")
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])
                check_identifiers(text, identifiers, f"{where}/Fn::Sub", in_sub=True)
                check_identifiers(variables, identifiers, f"{where}/Fn::Sub")
            else:
                check_identifiers(value, identifiers, f"{where}/{key}", in_sub)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            check_identifiers(item, identifiers, f"{where}[{index}]", in_sub)
    elif isinstance(node, str) and not in_sub:
        for identifier in identifiers:
            if re.search(r"[$&]\{" + re.escape(identifier) + r"\}", node):
                raise ExpandError(
                    f"{where}: {node!r} uses the loop identifier {identifier} outside Fn::Sub, where "
                    f"CloudFormation does not replace it; write !Sub \"...${{{identifier}}}...\" "
                    f"(as a Ref or Fn::GetAtt name too: {{Ref: !Sub \"${{{identifier}}}...\"}})"
                )


def literal_names(node):
    """`Ref` and `Fn::GetAtt` of a resource named by a literal `Fn::Sub`, as
    AWS::LanguageExtensions resolves them: the plain Ref and GetAtt."""

    def literal(value, where):
        if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            if "${" not in value["Fn::Sub"]:
                return value["Fn::Sub"]
        if not isinstance(value, str):
            raise ExpandError(f"{where} names {value!r}: expand.py resolves only a literal Fn::Sub there")
        return value

    if isinstance(node, dict):
        if set(node) == {"Ref"}:
            return {"Ref": literal(node["Ref"], "a Ref")}
        if set(node) == {"Fn::GetAtt"} and isinstance(node["Fn::GetAtt"], list):
            return {"Fn::GetAtt": [literal(part, "a Fn::GetAtt") for part in node["Fn::GetAtt"]]}
        return {key: literal_names(value) for key, value in node.items()}
    if isinstance(node, list):
        return [literal_names(item) for item in node]
    return node


def expand(template):
    """The template after AWS::LanguageExtensions; unchanged without it."""
    transforms = template.get("Transform", [])
    transforms = [transforms] if isinstance(transforms, str) else list(transforms)
    if LANGUAGE_EXTENSIONS not in transforms:
        return template
    for section in ("Conditions", "Resources", "Outputs"):
        check_identifiers(template.get(section, {}), set(), section)
    context = TemplateProcessingContext(fragment=template, resolution_mode=ResolutionMode.PARTIAL)
    # SAM CLI's pipeline (cfn_language_extensions.api.create_default_pipeline)
    # without its local intrinsic resolution (see above); its resolver serves
    # only a collection given as a Ref to a list parameter.
    resolver = create_default_intrinsic_resolver(context)
    pipeline = ProcessingPipeline([TemplateParsingProcessor(), ForEachProcessor(intrinsic_resolver=resolver)])
    expanded = literal_names(pipeline.process_template(context))
    transforms.remove(LANGUAGE_EXTENSIONS)
    if transforms:
        expanded["Transform"] = transforms[0] if len(transforms) == 1 else transforms
    else:
        expanded.pop("Transform")
    return expanded


def expanded_template(path=TEMPLATE):
    return expand(load(Path(path).read_text()))


def main(argv):
    if len(argv) > 2:
        sys.exit(__doc__.split("\n\n")[-1])
    source = argv[1] if len(argv) == 2 else str(TEMPLATE)
    try:
        template = expand(load(sys.stdin.read() if source == "-" else Path(source).read_text()))
    except ExpandError as error:
        sys.exit(f"expand.py: {error}")
    json.dump(template, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
