"""An SNS topic encrypted with a customer key, and the person it reaches by e-mail.

The key's SNS statement is the key owner's to write (`Key.delegate("sns", ...)`), since
the stacks give the same key other services too. An e-mail subscription stays pending
until its recipient confirms it.
https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
https://docs.aws.amazon.com/sns/latest/dg/sns-email-notifications.html
"""

from __future__ import annotations

from troposphere import Ref, Template, sns

from generator.blocks.keys import Key


def encrypted_topic(
    template: Template, title: str, name: str, display_name: str, key: Key, email: str | None
) -> sns.Topic:
    """The topic `<title>Topic`, and `<title>EmailSubscription` when `email` is given."""
    topic = template.add_resource(
        sns.Topic(f"{title}Topic", TopicName=name, DisplayName=display_name, KmsMasterKeyId=key.arn)
    )
    if email:
        template.add_resource(
            sns.SubscriptionResource(
                f"{title}EmailSubscription", TopicArn=Ref(topic), Protocol="email", Endpoint=email
            )
        )
    return topic
