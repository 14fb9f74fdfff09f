"""Writes events/health-2000-entities.json: one scheduled change affecting
2,000 instances, for the test that the entity list is cut with exact counts.
Run once from the workspace root; the JSON is committed."""

import json

entities = [{"entityValue": f"i-{n:08x}"} for n in range(2000)]
entities[0]["status"] = "PENDING"
entities[0]["tags"] = {"Name": "fleet-0", "Environment": "production"}
event = {
    "version": "0",
    "id": "2c9f1e4b-7a6d-4c3b-9e8f-1a2b3c4d5e6f",
    "detail-type": "AWS Health Event",
    "source": "aws.health",
    "account": "123456789012",
    "time": "2026-11-19T12:00:00Z",
    "region": "eu-west-1",
    "resources": [],
    "detail": {
        "eventArn": "arn:aws:health:eu-west-1::event/EC2/AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED/AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED_0f1e2d3c",
        "service": "EC2",
        "eventTypeCode": "AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED",
        "eventTypeCategory": "scheduledChange",
        "eventScopeCode": "ACCOUNT_SPECIFIC",
        "startTime": "2026-12-03T01:00:00Z",
        "endTime": "2026-12-03T03:00:00Z",
        "lastUpdatedTime": "2026-11-19T12:00:00Z",
        "statusCode": "upcoming",
        "eventRegion": "eu-west-1",
        "eventDescription": [
            {
                "language": "en_US",
                "latestDescription": "One or more of your Amazon EC2 instances are scheduled for a reboot during the maintenance window for host maintenance.",
            }
        ],
        "affectedEntities": entities,
    },
}
# One entity per line keeps the file small and readable.
entity_lines = ",\n".join("      " + json.dumps(entity) for entity in entities)
event["detail"]["affectedEntities"] = "ENTITIES"
text = json.dumps(event, indent=2).replace('"ENTITIES"', "[\n" + entity_lines + "\n    ]")
json.loads(text)
with open("events/health-2000-entities.json", "w") as out:
    out.write(text + "\n")
