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

4. EMR's auto-termination policy: PutAutoTerminationPolicy,
   GetAutoTerminationPolicy and RemoveAutoTerminationPolicy. moto 5.2.6
   serves none of them. AWS: "Creates or updates an auto-termination policy
   for an Amazon EMR cluster" (IdleTimeout "a minimum of 60 seconds and a
   maximum of 604800 seconds"), "Auto-termination is supported in Amazon
   EMR releases 5.30.0 and 6.1.0 and later"; Get answers the cluster's
   policy, or no AutoTerminationPolicy when it has none. The policy is kept
   on moto's own cluster (`auto_termination_policy`), so it lives and dies
   with the cluster; an unknown cluster is InvalidRequestException as for
   moto's other cluster calls, a release before those, or a timeout out of
   range, ValidationException.
"""


def apply():
    _describe_stack_resources_by_physical_id()
    _emr_cluster_instances_from_cloudformation()
    _emr_region_from_signature()
    _emr_auto_termination_policy()


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


def _emr_auto_termination_policy():
    from moto.core.responses import ActionResult, EmptyResult
    from moto.emr.exceptions import ValidationException
    from moto.emr.responses import ElasticMapReduceResponse
    from moto.emr.utils import ReleaseLabel

    def takes_policy(release_label):
        if not release_label:
            return False
        try:
            release = ReleaseLabel(release_label)
        except ValueError:
            return False
        if release.major == 5:
            return release >= ReleaseLabel("emr-5.30.0")
        if release.major == 6:
            return release >= ReleaseLabel("emr-6.1.0")
        return release.major > 6

    def put_auto_termination_policy(self):
        cluster = self.backend.describe_cluster(self._get_param("ClusterId"))
        policy = self._get_param("AutoTerminationPolicy") or {}
        idle_timeout = policy.get("IdleTimeout", 3600)
        if not 60 <= int(idle_timeout) <= 604800:
            raise ValidationException(f"IdleTimeout {idle_timeout} is not between 60 and 604800 seconds.")
        if not takes_policy(getattr(cluster, "release_label", None)):
            raise ValidationException("Auto-termination is supported in Amazon EMR releases 5.30.0 and 6.1.0 and later.")
        cluster.auto_termination_policy = {"IdleTimeout": int(idle_timeout)}
        return EmptyResult()

    def get_auto_termination_policy(self):
        cluster = self.backend.describe_cluster(self._get_param("ClusterId"))
        policy = getattr(cluster, "auto_termination_policy", None)
        return ActionResult({"AutoTerminationPolicy": policy} if policy else {})

    def remove_auto_termination_policy(self):
        cluster = self.backend.describe_cluster(self._get_param("ClusterId"))
        cluster.auto_termination_policy = None
        return EmptyResult()

    ElasticMapReduceResponse.put_auto_termination_policy = put_auto_termination_policy
    ElasticMapReduceResponse.get_auto_termination_policy = get_auto_termination_policy
    ElasticMapReduceResponse.remove_auto_termination_policy = remove_auto_termination_policy
