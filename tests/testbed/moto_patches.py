"""Patches applied to moto when the test bed starts, each making moto behave
as AWS documents where moto 5.2.5 does not. Each is listed in
docs/development.md.

1. CloudFormation DescribeStackResources by PhysicalResourceId.
   AWS: "PhysicalResourceId: the name or unique identifier that corresponds
   to a physical instance ID of a resource supported by CloudFormation ...
   returns the stack resources of the stack that contains the resource";
   when no stack holds it, AWS answers ValidationError "Stack for <id> does
   not exist". moto 5.2.5 requires StackName and fails without it.

2. AWS::EMR::Cluster created through a CloudFormation stack honours
   Instances.KeepJobFlowAliveWhenNoSteps and Instances.TerminationProtected.
   moto 5.2.5 passes the template's PascalCase Instances properties to a
   model that reads snake_case keys, so every such cluster comes up with
   KeepJobFlowAliveWhenNoSteps false (and at once TERMINATED, since it has
   no steps) and without termination protection.

3. EMR is regional when reached through an endpoint override. AWS serves
   each region at its own endpoint, and the SDK signs requests with the
   region in the SigV4 credential scope. moto 5.2.5's EMR reads the region
   only from an elasticmapreduce.<region>.amazonaws.com host name and
   otherwise uses us-east-1, so a cluster a eu-west-1 CloudFormation stack
   created was invisible to eu-west-1 EMR calls. Like moto's other services,
   it now falls back to the region the request was signed for.
"""


def apply():
    _describe_stack_resources_by_physical_id()
    _emr_cluster_instances_from_cloudformation()
    _emr_region_from_signature()


def _describe_stack_resources_by_physical_id():
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.responses import CloudFormationResponse, StackResourceDTO
    from moto.core.responses import ActionResult

    original = CloudFormationResponse.describe_stack_resources

    def describe_stack_resources(self):
        physical_id = self._get_param("PhysicalResourceId")
        if self._get_param("StackName") or not physical_id:
            return original(self)
        logical_id = self._get_param("LogicalResourceId")
        for stack in self.cloudformation_backend.stacks.values():
            resources = list(stack.stack_resources)
            if any(getattr(r, "physical_resource_id", None) == physical_id for r in resources):
                if logical_id is not None:
                    resources = [r for r in resources if getattr(r, "logical_resource_id", None) == logical_id]
                return ActionResult({"StackResources": [StackResourceDTO(stack, r) for r in resources]})
        raise ValidationError(message=f"Stack for {physical_id} does not exist")

    CloudFormationResponse.describe_stack_resources = describe_stack_resources


def _emr_cluster_instances_from_cloudformation():
    from moto.emr.models import Cluster

    original = Cluster.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        instances = cloudformation_json.get("Properties", {}).setdefault("Instances", {})
        for template_key, model_key in (
            ("KeepJobFlowAliveWhenNoSteps", "keep_job_flow_alive_when_no_steps"),
            ("TerminationProtected", "termination_protected"),
        ):
            if template_key in instances:
                instances[model_key] = str(instances[template_key]).lower() == "true"
        return original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    Cluster.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


def _emr_region_from_signature():
    from moto.core.responses import BaseResponse
    from moto.emr.responses import ElasticMapReduceResponse

    def get_region_from_url(self, request, full_url):
        for regex in ElasticMapReduceResponse.emr_region_regex:
            match = regex.search(self.parsed_url.netloc)
            if match:
                return match.group(1)
        return BaseResponse.get_region_from_url(self, request, full_url)

    ElasticMapReduceResponse.get_region_from_url = get_region_from_url
